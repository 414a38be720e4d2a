package io.sluice.bench;

/**
 * What stops the threads of this JVM that is not their own work: garbage-collection pauses and
 * hiccups (how late an idle thread woke from 1 ms sleeps), both counted from the last {@link #clear()},
 * and, for a benchmark that looks at its slowest requests' episodes, the machine's load over time
 * (cores busy and stolen, the JIT compiling).
 */
final class Stalls implements AutoCloseable {
    /** How often the timeline samples: /proc/stat counts in hundredths of a second. */
    private static final long TIMELINE_PERIOD_MILLIS = 50;

    final GcPauses gc = GcPauses.start();
    final Hiccups hiccups = Hiccups.start();
    /** Null unless asked for: it samples /proc/stat on a thread of its own. */
    final Timeline timeline;

    Stalls(boolean sampleTheMachine) {
        this(sampleTheMachine, null);
    }

    /** The same, the timeline sampling PostgreSQL's processes too unless {@code postgres} is null. */
    Stalls(boolean sampleTheMachine, ProcessTreeCpu postgres) {
        timeline = sampleTheMachine ? Timeline.start(TIMELINE_PERIOD_MILLIS, postgres) : null;
    }

    /**
     * The stalls since the last clear: GC pauses (count, longest) and hiccups (p99, longest), in ms,
     * and the heap allocated meanwhile, which is what brings the pauses.
     */
    record Summary(int gcPauses, double longestGcPause, double hiccupP99, double longestHiccup, long allocatedBytes) {}

    void clear() {
        gc.clear();
        hiccups.clear();
        if (timeline != null) {
            timeline.clear();
        }
    }

    Summary summary() {
        return new Summary(gc.count(), gc.longestMillis(), hiccups.percentileMillis(99),
                hiccups.percentileMillis(100), gc.allocatedBytes());
    }

    @Override
    public void close() throws Exception {
        gc.close();
        hiccups.close();
        if (timeline != null) {
            timeline.close();
        }
    }
}
