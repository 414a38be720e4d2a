package io.sluice.bench;

/**
 * What stops the threads of this JVM that is not their own work: garbage-collection pauses and
 * hiccups (how late an idle thread woke from 1 ms sleeps), both counted from the last {@link #clear()}.
 */
final class Stalls implements AutoCloseable {
    final GcPauses gc = GcPauses.start();
    final Hiccups hiccups = Hiccups.start();

    /**
     * The stalls since the last clear: GC pauses (count, longest) and hiccups (p99, longest), in ms,
     * and the heap allocated meanwhile, which is what brings the pauses.
     */
    record Summary(int gcPauses, double longestGcPause, double hiccupP99, double longestHiccup, long allocatedBytes) {}

    void clear() {
        gc.clear();
        hiccups.clear();
    }

    Summary summary() {
        return new Summary(gc.count(), gc.longestMillis(), hiccups.percentileMillis(99),
                hiccups.percentileMillis(100), gc.allocatedBytes());
    }

    @Override
    public void close() throws Exception {
        gc.close();
        hiccups.close();
    }
}
