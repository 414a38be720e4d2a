package io.sluice.operators.retrieve;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Which snapshot serves a turn, by the turn's event time: the one the store's promotion log names
 * for that time (the last promotion in effect at it). A function of the log and the event time
 * only, so a replay picks the same snapshot for every turn as the live job did, across promotions.
 *
 * <p>The log is read again before a turn whose event time is within {@link IndexStore#PROMOTION_LEAD}
 * (less a second for clock differences) of the last read: a promotion logged after that read takes
 * effect a lead after it was logged, so it cannot apply to an earlier turn. Between reads nothing
 * touches the file system.
 *
 * <p>Promotions of a snapshot embedded with another model than the questions are refused (logged
 * once and counted): its vectors live in another space, and the question encoder does not switch
 * with it. So are promotions of a snapshot whose files do not match its manifest. A turn older than every accepted promotion gets the earliest one.
 */
public final class SnapshotSchedule {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSchedule.class);
    /** Tolerated difference between the promoting host's clock and this one. */
    private static final long CLOCK_SLACK_MILLIS = 1_000;

    private final IndexStore store;
    private final String queryModel;
    private final LongSupplier clock;
    private final long lead;

    private List<IndexStore.Promotion> accepted = List.of();
    private final Set<IndexStore.Promotion> refused = new HashSet<>();
    private long logSize = -1;
    private long readAt = Long.MIN_VALUE;

    /**
     * @param queryModel the qualified id of the model questions are embedded with; promotions of
     *     snapshots embedded with another are refused
     * @param clock wall-clock milliseconds (the store's promoters use the same scale)
     */
    public SnapshotSchedule(IndexStore store, String queryModel, LongSupplier clock) {
        this.store = store;
        this.queryModel = queryModel;
        this.clock = clock;
        this.lead = IndexStore.PROMOTION_LEAD.toMillis() - CLOCK_SLACK_MILLIS;
    }

    /** The snapshot that serves a turn of this event time. */
    public String snapshotFor(long eventTime) {
        if (readAt == Long.MIN_VALUE || eventTime >= readAt + lead) {
            read();
        }
        if (accepted.isEmpty()) {
            throw new IllegalStateException("No promoted snapshot embedded with " + queryModel + " in " + store.root());
        }
        IndexStore.Promotion chosen = null;
        IndexStore.Promotion earliest = accepted.get(0);
        for (IndexStore.Promotion p : accepted) {
            // Later lines win ties: a snapshot promoted again after another takes over at its own time.
            if (p.effectiveFrom() <= eventTime && (chosen == null || p.effectiveFrom() >= chosen.effectiveFrom())) {
                chosen = p;
            }
            if (p.effectiveFrom() < earliest.effectiveFrom()) {
                earliest = p;
            }
        }
        return (chosen != null ? chosen : earliest).snapshotId();
    }

    /** Promotions refused so far (another embedding model, or a snapshot that is not there). */
    public int refusedCount() {
        return refused.size();
    }

    private void read() {
        long now = clock.getAsLong();
        try {
            long size = store.promotionLogSize();
            if (size != logSize) {
                List<IndexStore.Promotion> ok = new ArrayList<>();
                for (IndexStore.Promotion p : store.promotions()) {
                    if (accepted.contains(p) || (!refused.contains(p) && accept(p))) {
                        ok.add(p);
                    }
                }
                accepted = List.copyOf(ok);
                logSize = size;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the promotion log of " + store.root(), e);
        }
        readAt = now;
    }

    private boolean accept(IndexStore.Promotion p) throws IOException {
        if (!store.exists(p.snapshotId())) {
            refuse(p, "its directory is not in the store");
            return false;
        }
        String model;
        try {
            model = SnapshotManifest.readVerified(store.snapshotDir(p.snapshotId())).embeddingModel();
        } catch (IOException e) {
            refuse(p, e.getMessage());
            return false;
        }
        if (!model.equals(queryModel)) {
            refuse(p, "it was embedded with " + model + " and questions are embedded with " + queryModel
                    + " (restart the job with that model to serve it)");
            return false;
        }
        return true;
    }

    private void refuse(IndexStore.Promotion p, String why) {
        refused.add(p);
        LOG.warn("Not following the promotion of snapshot {} (from {}): {}", p.snapshotId(),
                java.time.Instant.ofEpochMilli(p.effectiveFrom()), why);
    }
}
