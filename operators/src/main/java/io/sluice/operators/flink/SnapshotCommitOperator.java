package io.sluice.operators.flink;

import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The last stage of live ingestion (one subtask): keeps the latest build of every shard and, once
 * every index subtask has reported a checkpoint's cut, publishes the snapshot of those shards and
 * promotes it if it is new. Emits the id of each snapshot it promotes. Its state is the latest
 * shard of each place, so a restored job makes whole snapshots from the start.
 */
public final class SnapshotCommitOperator extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<String, String> {

    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String indexDir;
    private final int shardCount;
    private final int indexSubtasks;
    private final String embeddingModel;
    private final int dimension;
    private final String chunkerFingerprint;

    private transient ListState<String> shardState;
    private transient TreeMap<Integer, SnapshotManifest.Shard> latest;
    private transient Map<Long, Set<Integer>> cuts;
    private transient IndexStore store;

    public SnapshotCommitOperator(String indexDir, int shardCount, int indexSubtasks, String embeddingModel,
            int dimension, String chunkerFingerprint) {
        this.indexDir = indexDir;
        this.shardCount = shardCount;
        this.indexSubtasks = indexSubtasks;
        this.embeddingModel = embeddingModel;
        this.dimension = dimension;
        this.chunkerFingerprint = chunkerFingerprint;
    }

    static String builtLine(long checkpoint, String shardJson) {
        return "built " + checkpoint + " " + shardJson;
    }

    static String cutLine(long checkpoint, int subtask) {
        return "cut " + checkpoint + " " + subtask;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        shardState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("shards", Types.STRING));
        latest = new TreeMap<>();
        for (String json : shardState.get()) {
            SnapshotManifest.Shard s = JSON.readValue(json, SnapshotManifest.Shard.class);
            latest.put(index(s), s);
        }
        cuts = new TreeMap<>();
        store = new IndexStore(Path.of(indexDir));
    }

    private static int index(SnapshotManifest.Shard s) {
        return Integer.parseInt(s.name().substring(s.name().lastIndexOf('-') + 1));
    }

    @Override
    public void processElement(StreamRecord<String> element) throws Exception {
        String[] parts = element.getValue().split(" ", 3);
        long checkpoint = Long.parseLong(parts[1]);
        if (parts[0].equals("built")) {
            SnapshotManifest.Shard s = JSON.readValue(parts[2], SnapshotManifest.Shard.class);
            latest.put(index(s), s);
            return;
        }
        Set<Integer> reported = cuts.computeIfAbsent(checkpoint, c -> new HashSet<>());
        reported.add(Integer.parseInt(parts[2]));
        if (reported.size() < indexSubtasks) {
            return;
        }
        cuts.keySet().removeIf(c -> c <= checkpoint);
        if (latest.size() < shardCount) {
            LOG.warn("Cut {} has {} of {} shards; no snapshot yet", checkpoint, latest.size(), shardCount);
            return;
        }
        List<SnapshotManifest.Shard> shards = new ArrayList<>(latest.values());
        if (shards.stream().mapToInt(SnapshotManifest.Shard::documents).sum() == 0) {
            // Nothing to serve yet: an empty snapshot would only hide the one promoted before.
            return;
        }
        String id = SnapshotManifest.snapshotId(embeddingModel, chunkerFingerprint, shards);
        if (!store.exists(id)) {
            store.publishSnapshot(SnapshotManifest.of(id, embeddingModel, dimension, chunkerFingerprint, shards));
        }
        if (!id.equals(store.latest().orElse(null))) {
            store.promote(id);
            LOG.info("Live ingestion promoted snapshot {} at checkpoint {}", id, checkpoint);
            output.collect(new StreamRecord<>(id));
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<String> json = new ArrayList<>();
        for (SnapshotManifest.Shard s : latest.values()) {
            json.add(JSON.writeValueAsString(s));
        }
        shardState.update(json);
    }
}
