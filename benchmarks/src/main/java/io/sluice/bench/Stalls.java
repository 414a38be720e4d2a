package io.sluice.bench;

/**
 * What stops the threads of this JVM that is not their own work: garbage-collection pauses and
 * hiccups (how late an idle thread woke from 1 ms sleeps), both counted from the last {@link #clear()},
 * and the machine's load over time (cores busy and stolen, the JIT compiling), for the slowest
 * requests' episodes.
 */
final class Stalls implements AutoCloseable {
    /** How often the timeline samples: /proc/stat counts in hundredths of a second. */
    private static final long TIMELINE_PERIOD_MILLIS = 50;

    final GcPauses gc = GcPauses.start();
    final Hiccups hiccups = Hiccups.start();
    final Timeline timeline = Timeline.start(TIMELINE_PERIOD_MILLIS);

    /**
     * The stalls since the last clear: GC pauses (count, longest) and hiccups (p99, longest), in ms,
     * and the heap allocated meanwhile, which is what brings the pauses.
     */
    record Summary(int gcPauses, double longestGcPause, double hiccupP99, double longestHiccup, long allocatedBytes) {}

    void clear() {
        gc.clear();
        hiccups.clear();
        timeline.clear();
    }

    Summary summary() {
        return new Summary(gc.count(), gc.longestMillis(), hiccups.percentileMillis(99),
                hiccups.percentileMillis(100), gc.allocatedBytes());
    }

    @Override
    public void close() throws Exception {
        gc.close();
        hiccups.close();
        timeline.close();
    }
}
