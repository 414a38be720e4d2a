package io.sluice.operators.retrieve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The searcher for a turn: of the one snapshot a job pinned, or, for a job that follows promotions,
 * of the snapshot its {@link SnapshotSchedule} names for the turn's event time. Readers of snapshots
 * no turn has used lately are closed: the two most recently used stay open (the one being left and
 * the one taking over around a promotion), and a late turn that needs an older one opens it again.
 * Not thread-safe (one per subtask).
 */
public final class SnapshotSearchers implements AutoCloseable {

    /** Snapshots kept open at once. */
    static final int OPEN = 2;

    private final IndexStore store;
    private final SearchSettings settings;
    private final String pinned;
    private final SnapshotSchedule schedule;
    private final Map<String, HybridSearcher> open = new LinkedHashMap<>(4, 0.75f, true);
    private long opened;

    private SnapshotSearchers(IndexStore store, SearchSettings settings, String pinned, SnapshotSchedule schedule) {
        this.store = store;
        this.settings = settings;
        this.pinned = pinned;
        this.schedule = schedule;
    }

    /** Always the snapshot {@code snapshotId}. */
    public static SnapshotSearchers pinned(IndexStore store, String snapshotId, SearchSettings settings) {
        return new SnapshotSearchers(store, settings, snapshotId, null);
    }

    /** The snapshot the promotion log names for each turn's event time. */
    public static SnapshotSearchers following(IndexStore store, SnapshotSchedule schedule, SearchSettings settings) {
        return new SnapshotSearchers(store, settings, null, schedule);
    }

    /** The searcher of the snapshot that serves a turn of this event time. */
    public HybridSearcher forEventTime(long eventTime) {
        String id = pinned != null ? pinned : schedule.snapshotFor(eventTime);
        HybridSearcher searcher = open.get(id);
        if (searcher == null) {
            if (!store.exists(id)) {
                // The turn's, not the environment's: a late turn whose snapshot was collected since is
                // rejected (STAGE_FAILED) rather than failing the job over and over on the same record.
                throw new IllegalStateException("Index snapshot " + id + ", in force at this turn's event time, is "
                        + "no longer in " + store.root() + " (deleted by 'sluice snapshots gc'?)");
            }
            try {
                searcher = HybridSearcher.open(store, id, settings);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot open index snapshot " + id + " in " + store.root(), e);
            }
            opened++;
            open.put(id, searcher);
            var eldest = open.entrySet().iterator();
            while (open.size() > OPEN) {
                eldest.next().getValue().close();
                eldest.remove();
            }
        }
        return searcher;
    }

    /** Snapshots opened so far (a promotion followed opens one more). */
    public long openedCount() {
        return opened;
    }

    /** Snapshot ids open now, least recently used first. */
    public java.util.Set<String> openIds() {
        return java.util.Set.copyOf(open.keySet());
    }

    /** Promotions refused by the schedule (0 when pinned). */
    public int refusedPromotions() {
        return schedule == null ? 0 : schedule.refusedCount();
    }

    @Override
    public void close() {
        open.values().forEach(HybridSearcher::close);
        open.clear();
    }
}
