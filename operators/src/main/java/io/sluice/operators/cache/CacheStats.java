package io.sluice.operators.cache;

import org.apache.flink.metrics.MetricGroup;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Hits, misses and errors of one cache, counted from any thread (lookups complete on Redis's), and
 * shown as gauges.
 */
public final class CacheStats {

    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();

    /** Counts a lookup: a hit when {@code found}. */
    void lookedUp(boolean found) {
        (found ? hits : misses).incrementAndGet();
    }

    /** Redis failed, timed out or could not be reached. */
    void error() {
        errors.incrementAndGet();
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    public long errors() {
        return errors.get();
    }

    /** Registers {@code hits}, {@code misses} and {@code errors} in {@code group}. */
    public void register(MetricGroup group) {
        group.gauge("hits", this::hits);
        group.gauge("misses", this::misses);
        group.gauge("errors", this::errors);
    }
}
