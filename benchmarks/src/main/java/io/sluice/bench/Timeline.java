package io.sluice.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The machine's load over short intervals of a run: every {@code period} it takes a {@link CpuUse}
 * (the whole machine's busy and stolen ticks from Linux's {@code /proc/stat}, and this JVM's JIT
 * compile time, and PostgreSQL's processes' CPU time where it is watched), so that a burst of slow
 * requests can be set beside what the cores were doing meanwhile: full (the machine's own work),
 * stolen (the hypervisor gave them to another guest), the JIT compiling, or PostgreSQL (autovacuum).
 * Elsewhere than Linux the machine's figures are unknown (NaN).
 */
final class Timeline implements AutoCloseable {

    /** A {@link CpuUse} and when it was taken (epoch ms). */
    private record Sample(long epochMillis, CpuUse use) {}

    private final List<Sample> samples = new ArrayList<>();
    private final Thread sampler;
    private volatile boolean stopped;

    private Timeline(long periodMillis, ProcessTreeCpu postgres) {
        sampler = new Thread(() -> {
            while (!stopped) {
                Sample s = new Sample(System.currentTimeMillis(), CpuUse.now(postgres));
                synchronized (samples) {
                    samples.add(s);
                }
                try {
                    Thread.sleep(periodMillis); // a sampling period, not a wait for a condition
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-timeline");
        sampler.setDaemon(true);
    }

    /** Samples every {@code periodMillis}, PostgreSQL's processes too unless {@code postgres} is null. */
    static Timeline start(long periodMillis, ProcessTreeCpu postgres) {
        Timeline timeline = new Timeline(periodMillis, postgres);
        timeline.sampler.start();
        return timeline;
    }

    /** Forgets the samples so far. */
    void clear() {
        synchronized (samples) {
            samples.clear();
        }
    }

    /**
     * What was spent from the last sample at or before {@code from} to the first at or after
     * {@code to} (epoch ms), or null when the samples do not cover the interval.
     */
    CpuUse.Spent over(double from, double to) {
        Sample first = null;
        Sample last = null;
        synchronized (samples) {
            for (Sample s : samples) {
                if (s.epochMillis() <= from) {
                    first = s;
                }
                if (s.epochMillis() >= to && last == null) {
                    last = s;
                }
            }
        }
        return first == null || last == null ? null : first.use().until(last.use());
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        sampler.interrupt();
        sampler.join();
    }
}
