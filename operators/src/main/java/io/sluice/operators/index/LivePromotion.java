package io.sluice.operators.index;

import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * How live ingestion turns shard builds into snapshots: it keeps the latest build of every shard,
 * and when every index task has reported a checkpoint's cut (all shards it built for that checkpoint
 * are in), it publishes the snapshot of the latest shards and promotes it if it is new. Until every
 * shard has been built once there is no whole snapshot to publish, and a snapshot without documents
 * would only hide the one promoted before, so neither is published. Not thread-safe: one instance
 * per job, fed in order.
 */
public final class LivePromotion {

    /** What snapshots are made of: the model and chunker that built the shards, and how many there are. */
    public record Settings(int shardCount, int indexTasks, String embeddingModel, int dimension,
            String chunkerFingerprint) implements Serializable {}

    private final Settings settings;
    private final IndexStore store;
    private final TreeMap<Integer, SnapshotManifest.Shard> latest = new TreeMap<>();
    private final TreeMap<Long, Set<Integer>> cuts = new TreeMap<>();

    /** Starts from {@code restored}, the shards {@link #shards} returned at the last checkpoint. */
    public LivePromotion(Settings settings, IndexStore store, Collection<SnapshotManifest.Shard> restored) {
        this.settings = settings;
        this.store = store;
        restored.forEach(this::built);
    }

    /** A shard was built (for some checkpoint); it replaces the shard's earlier build. */
    public void built(SnapshotManifest.Shard shard) {
        latest.put(SnapshotManifest.shardIndex(shard.name()), shard);
    }

    /** What a cut came to. */
    public enum Status {
        /** Other index tasks have not reported this checkpoint yet. */
        WAITING_FOR_TASKS,
        /** Some shard has never been built, so there is no whole snapshot yet. */
        SHARDS_MISSING,
        /** The shards hold no document: nothing to serve. */
        NO_DOCUMENTS,
        /** The snapshot of the latest shards is the one promoted already. */
        UNCHANGED,
        /** A new snapshot was published (unless the store had it) and promoted. */
        PROMOTED
    }

    /** The outcome of {@link #cut}: {@code snapshotId} is set for {@code UNCHANGED} and {@code PROMOTED}. */
    public record Cut(Status status, String snapshotId) {}

    /**
     * Index task {@code task} has reported everything it built for {@code checkpoint}. Once all have,
     * publishes the snapshot of the latest shards and promotes it if it is new.
     */
    public Cut cut(long checkpoint, int task) throws IOException {
        Set<Integer> reported = cuts.computeIfAbsent(checkpoint, c -> new HashSet<>());
        reported.add(task);
        if (reported.size() < settings.indexTasks()) {
            return new Cut(Status.WAITING_FOR_TASKS, null);
        }
        // Earlier cuts that never completed are covered by this one: shards only move forward.
        cuts.headMap(checkpoint, true).clear();
        if (latest.size() < settings.shardCount()) {
            return new Cut(Status.SHARDS_MISSING, null);
        }
        List<SnapshotManifest.Shard> shards = new ArrayList<>(latest.values());
        if (shards.stream().mapToInt(SnapshotManifest.Shard::documents).sum() == 0) {
            return new Cut(Status.NO_DOCUMENTS, null);
        }
        String id = SnapshotManifest.snapshotId(settings.embeddingModel(), settings.chunkerFingerprint(), shards);
        if (!store.exists(id)) {
            store.publishSnapshot(SnapshotManifest.of(id, settings.embeddingModel(), settings.dimension(),
                    settings.chunkerFingerprint(), shards));
        }
        if (id.equals(store.latest().orElse(null))) {
            return new Cut(Status.UNCHANGED, id);
        }
        store.promote(id);
        return new Cut(Status.PROMOTED, id);
    }

    /** The latest build of every shard, in shard order: the state to restore from. */
    public List<SnapshotManifest.Shard> shards() {
        return List.copyOf(latest.values());
    }
}
