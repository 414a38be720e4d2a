package io.sluice.operators.batch;

import java.util.ArrayList;
import java.util.List;

/**
 * The records waiting for the next batch, in arrival order, each with the time it arrived (for
 * the queue-time metric) and its stream timestamp (so that outputs keep it).
 */
public final class BatchBuffer<T> {

    /** Marks a record without a stream timestamp. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    /** One buffered record. */
    public record Pending<T>(T value, long timestamp, long arrivedNanos) {}

    private final int capacity;
    private List<Pending<T>> pending;

    public BatchBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.pending = new ArrayList<>(capacity);
    }

    public void add(T value, long timestamp, long arrivedNanos) {
        pending.add(new Pending<>(value, timestamp, arrivedNanos));
    }

    public boolean isEmpty() {
        return pending.isEmpty();
    }

    public boolean isFull() {
        return pending.size() >= capacity;
    }

    public int size() {
        return pending.size();
    }

    /** Takes every buffered record, oldest first, and leaves the buffer empty. */
    public List<Pending<T>> drain() {
        List<Pending<T>> batch = pending;
        pending = new ArrayList<>(capacity);
        return batch;
    }
}
