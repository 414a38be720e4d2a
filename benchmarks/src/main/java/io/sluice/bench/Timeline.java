package io.sluice.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine's load over short intervals of a run: every {@code period} it samples the whole
 * machine's busy and stolen CPU ticks (Linux's {@code /proc/stat}) and this JVM's JIT compile time,
 * so that a burst of slow requests can be set beside what the cores were doing meanwhile: full (the
 * machine's own work), stolen (the hypervisor gave them to another guest), or the JIT compiling.
 * Elsewhere than Linux it has no samples and says nothing.
 */
final class Timeline implements AutoCloseable {

    /** The cumulative counters at one moment; ticks of all CPUs together. */
    record Sample(long epochMillis, long busyTicks, long stealTicks, long totalTicks, long jitMillis) {}

    /**
     * Over an interval: how many of the machine's cores were busy on average (stolen ones included),
     * how many of those were stolen, and how long this JVM's JIT compiled (ms, all compiler threads).
     */
    record Load(double coresBusy, double coresStolen, double jitMillis) {}

    private static final Path PROC_STAT = Path.of("/proc/stat");

    private final List<Sample> samples = new ArrayList<>();
    private final int cpus;
    private final Thread sampler;
    private volatile boolean stopped;

    private Timeline(long periodMillis) {
        int found;
        try {
            found = (int) Files.readAllLines(PROC_STAT).stream().filter(l -> l.matches("cpu\\d+ .*")).count();
        } catch (IOException | RuntimeException e) {
            found = 0;
        }
        cpus = found;
        sampler = new Thread(() -> {
            while (!stopped && cpus > 0) {
                Sample s = sample();
                if (s != null) {
                    synchronized (samples) {
                        samples.add(s);
                    }
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

    static Timeline start(long periodMillis) {
        Timeline timeline = new Timeline(periodMillis);
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
     * The load from the last sample at or before {@code from} to the first at or after {@code to}
     * (epoch ms), or null when the samples do not cover the interval.
     */
    Load over(double from, double to) {
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
        return first == null || last == null ? null : load(first, last, cpus);
    }

    static Load load(Sample first, Sample last, int cpus) {
        long total = last.totalTicks() - first.totalTicks();
        if (total <= 0) {
            return new Load(Double.NaN, Double.NaN, last.jitMillis() - first.jitMillis());
        }
        return new Load((double) (last.busyTicks() - first.busyTicks()) / total * cpus,
                (double) (last.stealTicks() - first.stealTicks()) / total * cpus, last.jitMillis() - first.jitMillis());
    }

    private static Sample sample() {
        CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
        long jit = compiler != null && compiler.isCompilationTimeMonitoringSupported()
                ? compiler.getTotalCompilationTime() : 0;
        try (var lines = Files.lines(PROC_STAT)) {
            String cpuLine = lines.findFirst().orElseThrow();
            long[] busyAndTotal = CpuUse.busyAndTotal(cpuLine);
            return new Sample(System.currentTimeMillis(), busyAndTotal[0], steal(cpuLine), busyAndTotal[1], jit);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The steal ticks of {@code /proc/stat}'s total line: its eighth number. */
    static long steal(String cpuLine) {
        return Long.parseLong(cpuLine.trim().split("\\s+")[8]);
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        sampler.interrupt();
        sampler.join();
    }
}
