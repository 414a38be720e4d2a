package io.sluice.jobs.replay;

import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplitSerializer;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.io.SimpleVersionedSerialization;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.kafka.common.TopicPartition;

import org.apache.flink.shaded.guava33.com.google.common.hash.Hashing;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Kafka positions a savepoint's requests source had reached: where replay starts reading.
 * Read from the savepoint itself (its {@code _metadata} and the source's operator state), so they
 * are exactly the positions the restored conversation state corresponds to.
 */
public final class SavepointOffsets {

    /** The list state in which Flink's source operator keeps its splits. */
    private static final String SOURCE_STATE = "SourceReaderState";

    private SavepointOffsets() {}

    /** Partition → next offset to read, for the source with {@code sourceUid}. */
    public static Map<TopicPartition, Long> read(Path savepoint, String sourceUid) throws IOException {
        Path metadata = savepoint.resolve("_metadata");
        if (!Files.isRegularFile(metadata)) {
            throw new IOException(savepoint + " is not a savepoint directory (no _metadata)");
        }
        CheckpointMetadata checkpoint;
        try (InputStream in = Files.newInputStream(metadata)) {
            checkpoint = Checkpoints.loadCheckpointMetadata(new DataInputStream(in),
                    SavepointOffsets.class.getClassLoader(), savepoint.toAbsolutePath().toString());
        }
        OperatorID source = operatorId(sourceUid);
        OperatorState state = checkpoint.getOperatorStates().stream()
                .filter(s -> s.getOperatorID().equals(source)).findFirst()
                .orElseThrow(() -> new IOException("Savepoint " + savepoint + " has no state of the operator '"
                        + sourceUid + "': not a savepoint of the serving job"));
        Map<TopicPartition, Long> offsets = new TreeMap<>(
                java.util.Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        KafkaPartitionSplitSerializer splits = new KafkaPartitionSplitSerializer();
        for (OperatorSubtaskState subtask : state.getStates()) {
            for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
                OperatorStateHandle.StateMetaInfo info = handle.getStateNameToPartitionOffsets().get(SOURCE_STATE);
                if (info == null) {
                    continue;
                }
                try (FSDataInputStream in = handle.openInputStream()) {
                    DataInputViewStreamWrapper view = new DataInputViewStreamWrapper(in);
                    for (long position : info.getOffsets()) {
                        in.seek(position);
                        byte[] bytes = BytePrimitiveArraySerializer.INSTANCE.deserialize(view);
                        KafkaPartitionSplit split = SimpleVersionedSerialization.readVersionAndDeSerialize(splits, bytes);
                        offsets.put(split.getTopicPartition(), split.getStartingOffset());
                    }
                }
            }
        }
        return offsets;
    }

    /** The operator id Flink derives from a uid (murmur3 of the uid, as its stream graph hasher does). */
    static OperatorID operatorId(String uid) {
        return new OperatorID(Hashing.murmur3_128(0).newHasher().putString(uid, StandardCharsets.UTF_8).hash().asBytes());
    }
}
