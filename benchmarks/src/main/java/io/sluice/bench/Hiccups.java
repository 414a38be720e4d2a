package io.sluice.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * How long a thread of this JVM that wants to run does not (jHiccup's idea): a daemon thread sleeps
 * 1 ms at a time and records how much later than asked it woke. The machine's scheduler, the
 * hypervisor and the JVM's safepoints all show in it, and nothing of any code's own work, so its
 * p99 is the floor under the p99 of anything else this JVM times.
 */
final class Hiccups implements AutoCloseable {

    private static final long SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private long[] excess = new long[1 << 16];
    private int count;
    private final Thread thread;
    private volatile boolean running = true;

    private Hiccups() {
        thread = new Thread(this::run, "sluice-bench-hiccups");
        thread.setDaemon(true);
    }

    static Hiccups start() {
        Hiccups hiccups = new Hiccups();
        hiccups.thread.start();
        return hiccups;
    }

    private void run() {
        while (running) {
            long before = System.nanoTime();
            try {
                TimeUnit.NANOSECONDS.sleep(SLEEP_NANOS); // the measurement itself, not a wait for anything
            } catch (InterruptedException e) {
                return;
            }
            record(Math.max(0, System.nanoTime() - before - SLEEP_NANOS));
        }
    }

    private synchronized void record(long nanos) {
        if (count == excess.length) {
            excess = Arrays.copyOf(excess, count * 2);
        }
        excess[count++] = nanos;
    }

    /** Forgets what was recorded so far. */
    synchronized void clear() {
        count = 0;
    }

    /** The {@code p}th percentile (nearest rank) of the oversleeps since the last clear, in ms; NaN when none. */
    synchronized double percentileMillis(double p) {
        if (count == 0) {
            return Double.NaN;
        }
        long[] sorted = Arrays.copyOf(excess, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * count);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(1_000);
    }
}
