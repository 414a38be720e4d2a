package io.sluice.operators.batch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The records waiting for the batch function, and when the next batch may start. Up to
 * {@code slots} batches run at once (a batch holds its slot from {@link #next} until
 * {@link #finished}), and a batch starts when a slot is free and:
 * <ul>
 *   <li>a batch is running, or was when the oldest waiting record arrived: those records have
 *       already waited for the function, so waiting longer for company gains nothing (with one
 *       slot: they start together, up to the batch size, as soon as the running batch ends);</li>
 *   <li>or, when the function is idle: at once with a linger of 0, else once a full batch is waiting
 *       or the oldest record has waited the linger.</li>
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
    private final int slots;
    private List<Pending<T>> pending;
    /** Batches started and not finished. */
    private int running;
    /** When the oldest waiting record arrived while the function was idle; its linger runs from then. */
    private long lingerSince;
    /** The waiting records arrived while a batch ran: they start as soon as a slot is free. */
    private boolean waitedForRunning;

    /** One batch at a time. */
    public BatchQueue(int maxBatchSize, long lingerMillis) {
        this(maxBatchSize, lingerMillis, 1);
    }

    /**
     * @param lingerMillis how long a record may wait for others while the function is idle (0: never)
     * @param slots batches running at once, at least 1
     */
    public BatchQueue(int maxBatchSize, long lingerMillis, int slots) {
        if (maxBatchSize < 1 || lingerMillis < 0 || slots < 1) {
            throw new IllegalArgumentException("batch size and slots must be at least 1 and linger not negative, "
                    + "got " + maxBatchSize + ", " + slots + " and " + lingerMillis + " ms");
        }
        this.maxBatchSize = maxBatchSize;
        this.lingerMillis = lingerMillis;
        this.slots = slots;
        this.pending = new ArrayList<>(maxBatchSize);
    }

    /** Adds a record that arrived at {@code nowMillis}. */
    public void add(T value, long timestamp, long arrivedNanos, long nowMillis) {
        if (pending.isEmpty()) {
            lingerSince = nowMillis;
            waitedForRunning = running > 0;
        }
        pending.add(new Pending<>(value, timestamp, arrivedNanos));
    }

    /**
     * The next batch, oldest record first, if one may start at {@code nowMillis}; it then runs until
     * {@link #finished}. Null when no slot is free, nothing waits, or the waiting records linger.
     */
    public List<Pending<T>> next(long nowMillis) {
        if (isBusy() || pending.isEmpty()) {
            return null;
        }
        boolean ready = isFull() || lingerMillis == 0 || waitedForRunning || running > 0
                || nowMillis >= lingerDeadline();
        return ready ? start() : null;
    }

    /**
     * The waiting records regardless of their linger (a watermark or the end of input must not pass
     * them, and records a checkpoint restored have waited already), or null when no slot is free
     * or nothing waits.
     */
    public List<Pending<T>> nextNow() {
        return isBusy() || pending.isEmpty() ? null : start();
    }

    /** A running batch has ended; its slot is free again. */
    public void finished() {
        if (running == 0) {
            throw new IllegalStateException("no batch is running");
        }
        running--;
    }

    /** When the waiting records' linger ends, in the caller's clock. */
    public long lingerDeadline() {
        return lingerSince + lingerMillis;
    }

    /** A batch is running. */
    public boolean isRunning() {
        return running > 0;
    }

    /** Every slot runs a batch: nothing more may start. */
    public boolean isBusy() {
        return running == slots;
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
        return running == 0 && pending.isEmpty();
    }

    private List<Pending<T>> start() {
        List<Pending<T>> batch;
        if (pending.size() <= maxBatchSize) {
            batch = pending;
            pending = new ArrayList<>(maxBatchSize);
        } else {
            batch = new ArrayList<>(pending.subList(0, maxBatchSize));
            pending = new ArrayList<>(pending.subList(maxBatchSize, pending.size()));
            waitedForRunning = true; // the rest start as soon as a slot is free
        }
        running++;
        return batch;
    }
}
