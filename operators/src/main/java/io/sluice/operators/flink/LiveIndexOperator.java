package io.sluice.operators.flink;

import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.index.DocumentRedactor;
import io.sluice.operators.index.DocumentStaging;
import io.sluice.operators.index.ShardBuilder;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.schemas.Document;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code index} stage of live ingestion: documents (upserts and deletes) go into a staging per
 * shard that persists in the index directory ({@code live/<name>/shard-NNN}, committed at every
 * checkpoint); when a checkpoint completes, each shard that changed before it is built from its
 * state at that checkpoint ({@link ShardBuilder}: unchanged content is reused as in a backfill) and
 * a line per built shard is emitted, then one {@code cut} line per subtask, for
 * {@link SnapshotCommitOperator} to assemble and promote the snapshot.
 *
 * <p>Exactly once: what a checkpoint covers is what its staging commit holds; a restored job reopens
 * each staging at the restored checkpoint's commit and the sources replay from there. Its only
 * state is the checkpoint it last took. A restored job builds all its shards again at the first
 * completed checkpoint (each found in the shard store unless it changed), so a cut whose lines
 * were lost with a failure is made good.
 */
public final class LiveIndexOperator extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<Document, String> {

    private static final long serialVersionUID = 1L;
    /** The metric group of live ingestion: {@code sluice.ingest.skipped_inputs} counts inputs that were not documents. */
    public static final String STAGE = "ingest";
    /** Writer buffer of each shard's staging: a subtask holds one per shard it owns. */
    private static final double STAGING_BUFFER_MB = 8;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ShardBuilding building;
    private final String name;
    private final boolean redact;

    private transient ListState<Long> lastCheckpoint;
    private transient DocumentRedactor redactor;
    private transient Long restoredCheckpoint;
    private transient Map<Integer, DocumentStaging> stagings;
    private transient TreeSet<Integer> dirty;
    /** Shards changed before each checkpoint taken and not yet complete. */
    private transient NavigableMap<Long, TreeSet<Integer>> pending;
    private transient ShardBuilder builder;
    private transient Counter skipped;

    public LiveIndexOperator(String indexDir, String name, ShardBuilder.Settings shards, ChunkerSettings chunker,
            String embeddingModel, ChunkEmbedder embedder, boolean redact) {
        this.building = new ShardBuilding(indexDir, shards, chunker, embeddingModel, embedder);
        this.name = name;
        this.redact = redact;
    }

    /** The directory of shard {@code shard}'s staging for live ingestion {@code name}. */
    public static Path stagingDir(Path indexDir, String name, int shard) {
        return indexDir.resolve("live").resolve(name).resolve(SnapshotManifest.shardName(shard));
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        lastCheckpoint = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("last-checkpoint", Types.LONG));
        restoredCheckpoint = null;
        if (context.isRestored()) {
            for (Long c : lastCheckpoint.get()) {
                restoredCheckpoint = restoredCheckpoint == null ? c : Math.max(restoredCheckpoint, c);
            }
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        stagings = new TreeMap<>();
        dirty = new TreeSet<>();
        pending = new TreeMap<>();
        for (int s : building.ownedShards(getRuntimeContext().getTaskInfo()).toArray()) {
            stagings.put(s, DocumentStaging.open(stagingDir(building.indexDir(), name, s), STAGING_BUFFER_MB,
                    restoredCheckpoint));
            // The first cut reports every shard, so the snapshot it makes is whole.
            dirty.add(s);
        }
        redactor = redact ? new DocumentRedactor() : null;
        builder = building.open(getRuntimeContext(), ShardBuilder.Progress.NONE);
        skipped = getMetricGroup().addGroup("sluice").addGroup(STAGE).counter("skipped_inputs");
    }

    @Override
    public void processElement(StreamRecord<Document> element) throws Exception {
        if (element.getValue().unreadable()) {
            LOG.warn("Skipped an input that is not a document: {}", element.getValue().text());
            skipped.inc();
            return;
        }
        Document doc = redactor == null ? element.getValue() : redactor.redact(element.getValue());
        int shard = SnapshotManifest.shardOf(doc.tenantId(), doc.documentId(), building.shardCount());
        DocumentStaging staging = stagings.get(shard);
        if (staging == null) {
            throw new IllegalStateException("shard " + shard + " reached a subtask that does not own it");
        }
        staging.add(shard, doc);
        dirty.add(shard);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        long checkpoint = context.getCheckpointId();
        for (DocumentStaging staging : stagings.values()) {
            staging.commit(checkpoint);
        }
        pending.put(checkpoint, new TreeSet<>(dirty));
        dirty.clear();
        lastCheckpoint.update(List.of(checkpoint));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        // Cuts whose notification never came are folded into this one.
        var done = pending.headMap(checkpointId, true);
        if (done.isEmpty()) {
            return;
        }
        TreeSet<Integer> changed = new TreeSet<>();
        done.values().forEach(changed::addAll);
        done.clear();
        for (int shard : changed) {
            DocumentStaging.Committed state = stagings.get(shard).at(checkpointId)
                    .orElseThrow(() -> new IllegalStateException("no staging commit for checkpoint " + checkpointId));
            try (state) {
                ShardBuilder.Built built = builder.build(shard, () -> state.documents(shard));
                output.collect(new StreamRecord<>(SnapshotCommitOperator.builtLine(checkpointId,
                        JSON.writeValueAsString(built.shard()))));
            }
        }
        output.collect(new StreamRecord<>(SnapshotCommitOperator.cutLine(checkpointId,
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask())));
    }

    @Override
    public void close() throws Exception {
        try {
            building.close();
            if (stagings != null) {
                for (DocumentStaging s : stagings.values()) {
                    try {
                        s.close();
                    } catch (IOException e) {
                        // What a checkpoint needs was committed with it; a staging that cannot be
                        // closed (its directory gone, say) must not fail a task that is stopping.
                        LOG.warn("Could not close a staging: {}", e.toString());
                    }
                }
            }
        } finally {
            super.close();
        }
    }
}
