package io.sluice.operators.batch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The records waiting for the batch function, and when the next batch may start. One batch runs at
 * a time, and the next one starts:
 * <ul>
 *   <li>as soon as the running one ends, with every record that arrived meanwhile (up to the batch
 *       size): those records have already waited for the function, so waiting longer for company
 *       gains nothing;</li>
 *   <li>when the function is idle: at once with a linger of 0, else once a full batch is waiting or
 *       the oldest record has waited the linger.</li>
 * </ul>
 * So at low rates a record waits at most the linger, and at high rates batches fill while the
 * function is busy, which is when batching pays. Not thread-safe: the operator calls it from its
 * task thread only; times are the caller's clock, in milliseconds.
 */
public final class BatchQueue<T> {

    /** Marks a record without a stream timestamp. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    /** One waiting record, with its stream timestamp and when it arrived (for the queue-time metric). */
    public record Pending<T>(T value, long timestamp, long arrivedNanos) {}

    private final int maxBatchSize;
    private final long lingerMillis;
    private List<Pending<T>> pending;
    private boolean running;
    /** When the oldest waiting record arrived while the function was idle; its linger runs from then. */
    private long lingerSince;
    /** The waiting records arrived while a batch ran: they start when it ends. */
    private boolean waitedForRunning;

    /** @param lingerMillis how long a record may wait for others while the function is idle (0: never) */
    public BatchQueue(int maxBatchSize, long lingerMillis) {
        if (maxBatchSize < 1 || lingerMillis < 0) {
            throw new IllegalArgumentException("batch size must be at least 1 and linger not negative, got "
                    + maxBatchSize + " and " + lingerMillis + " ms");
        }
        this.maxBatchSize = maxBatchSize;
        this.lingerMillis = lingerMillis;
        this.pending = new ArrayList<>(maxBatchSize);
    }

    /** Adds a record that arrived at {@code nowMillis}. */
    public void add(T value, long timestamp, long arrivedNanos, long nowMillis) {
        if (pending.isEmpty()) {
            lingerSince = nowMillis;
            waitedForRunning = running;
        }
        pending.add(new Pending<>(value, timestamp, arrivedNanos));
    }

    /**
     * The next batch, oldest record first, if one may start at {@code nowMillis}; it then runs until
     * {@link #finished}. Null when a batch is running, nothing waits, or the waiting records linger.
     */
    public List<Pending<T>> next(long nowMillis) {
        if (running || pending.isEmpty()) {
            return null;
        }
        boolean ready = isFull() || lingerMillis == 0 || waitedForRunning || nowMillis >= lingerDeadline();
        return ready ? start() : null;
    }

    /**
     * The waiting records regardless of their linger (a watermark or the end of input must not pass
     * them, and records a checkpoint restored have waited already), or null when a batch is running
     * or nothing waits.
     */
    public List<Pending<T>> nextNow() {
        return running || pending.isEmpty() ? null : start();
    }

    /** The running batch has ended; records that arrived meanwhile may start now. */
    public void finished() {
        if (!running) {
            throw new IllegalStateException("no batch is running");
        }
        running = false;
    }

    /** When the waiting records' linger ends, in the caller's clock. */
    public long lingerDeadline() {
        return lingerSince + lingerMillis;
    }

    public boolean isRunning() {
        return running;
    }

    /** A full batch is waiting. */
    public boolean isFull() {
        return pending.size() >= maxBatchSize;
    }

    /** The records waiting for a batch, oldest first (a view: a checkpoint keeps them). */
    public List<Pending<T>> waiting() {
        return Collections.unmodifiableList(pending);
    }

    public boolean isEmpty() {
        return pending.isEmpty();
    }

    /** Nothing runs and nothing waits. */
    public boolean isDrained() {
        return !running && pending.isEmpty();
    }

    private List<Pending<T>> start() {
        List<Pending<T>> batch;
        if (pending.size() <= maxBatchSize) {
            batch = pending;
            pending = new ArrayList<>(maxBatchSize);
        } else {
            batch = new ArrayList<>(pending.subList(0, maxBatchSize));
            pending = new ArrayList<>(pending.subList(maxBatchSize, pending.size()));
            waitedForRunning = true; // the rest start when this batch ends
        }
        running = true;
        return batch;
    }
}
