package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.RetrievedChunk;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The audit rows a writer holds until PostgreSQL has them, and when to try writing them. Rows pass
 * through three stages: <em>current</em> (since the last checkpoint barrier), <em>awaiting</em>
 * (snapshotted with a checkpoint that has not completed yet) and <em>ready</em> (their checkpoint
 * completed: they may be written). Everything not yet written is what a checkpoint must keep
 * ({@link #unwritten}); a restored checkpoint's rows are all ready, since whatever a restored
 * checkpoint holds belongs to a checkpoint that completed.
 *
 * <p>One batch is written at a time: {@link #nextBatch} hands out the oldest ready rows, and
 * {@link #written} or {@link #failed} settles them. After a failure the next try waits, doubling
 * from 1 s to 30 s, on the injected clock. The backlog is bounded in rows and in (estimated)
 * bytes; {@link #checkBound} says when it is over either.
 *
 * <p>Plain Java, one thread (the task's): the operator owns the state, the thread that runs JDBC
 * and the metrics.
 */
public final class AuditBacklog {

    static final long FIRST_BACKOFF_MILLIS = 1_000;
    static final long MAX_BACKOFF_MILLIS = 30_000;

    private final int maxRows;
    private final long maxBytes;
    private final LongSupplier clock;

    private List<AnsweredTurn> current = new ArrayList<>();
    private final TreeMap<Long, List<AnsweredTurn>> awaiting = new TreeMap<>();
    private final List<AnsweredTurn> ready = new ArrayList<>();
    /** The first {@code inFlight} ready rows are being written. */
    private int inFlight;
    private long bytes;
    private long backoffMillis;
    private long retryAtMillis;

    /**
     * @param clock milliseconds, for the backoff between tries (injected: tests move it)
     */
    public AuditBacklog(int maxRows, long maxBytes, LongSupplier clock) {
        if (maxRows < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("the backlog bounds must be positive");
        }
        this.maxRows = maxRows;
        this.maxBytes = maxBytes;
        this.clock = clock;
    }

    /** A row of the current checkpoint interval, kept as its row alone ({@link AuditRecord#rowOnly}). */
    public void add(AnsweredTurn turn) {
        current.add(kept(turn));
    }

    /**
     * Rows restored from a checkpoint: ready to be written. A checkpoint of an earlier build may
     * hold whole turns; they are cut to their rows too.
     */
    public void restore(Iterable<AnsweredTurn> rows) {
        for (AnsweredTurn turn : rows) {
            ready.add(kept(turn));
        }
    }

    /** {@code turn} as the backlog keeps it, cut to its row, and counted in the backlog's bytes. */
    private AnsweredTurn kept(AnsweredTurn turn) {
        AnsweredTurn row = AuditRecord.rowOnly(turn);
        bytes += estimatedBytes(row);
        return row;
    }

    /** At checkpoint {@code id}'s barrier: the current rows wait for it to complete. */
    public void checkpoint(long id) {
        if (!current.isEmpty()) {
            awaiting.put(id, current);
            current = new ArrayList<>();
        }
    }

    /** What a checkpoint keeps: every row not yet written (those being written included). */
    public List<AnsweredTurn> unwritten() {
        List<AnsweredTurn> rows = new ArrayList<>(ready);
        awaiting.values().forEach(rows::addAll);
        return rows;
    }

    /** Checkpoint {@code id} (and any before it) completed: their rows may be written. */
    public void checkpointCompleted(long id) {
        Map<Long, List<AnsweredTurn>> done = awaiting.headMap(id, true);
        done.values().forEach(ready::addAll);
        done.clear();
    }

    /**
     * The oldest ready rows, at most {@code max}, to write now; empty while a batch is being
     * written, while waiting after a failure, or when nothing is ready.
     */
    public List<AnsweredTurn> nextBatch(int max) {
        if (inFlight > 0 || ready.isEmpty() || clock.getAsLong() < retryAtMillis) {
            return List.of();
        }
        inFlight = Math.min(max, ready.size());
        return List.copyOf(ready.subList(0, inFlight));
    }

    /** The batch handed out is in PostgreSQL (or quarantined there): it leaves the backlog. */
    public void written() {
        List<AnsweredTurn> batch = ready.subList(0, inFlight);
        batch.forEach(row -> bytes -= estimatedBytes(row));
        batch.clear();
        inFlight = 0;
        backoffMillis = 0;
        retryAtMillis = 0;
    }

    /** Writing the batch failed: it stays, and the next try waits. Returns the wait in milliseconds. */
    public long failed() {
        inFlight = 0;
        backoffMillis = backoffMillis == 0 ? FIRST_BACKOFF_MILLIS : Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        retryAtMillis = clock.getAsLong() + backoffMillis;
        return backoffMillis;
    }

    /** Whether a failure is being waited out. */
    public boolean backingOff() {
        return backoffMillis > 0;
    }

    /** When the next try may start (clock milliseconds; 0 when not waiting). */
    public long retryAtMillis() {
        return retryAtMillis;
    }

    /** Rows of completed checkpoints not yet written. */
    public int readyRows() {
        return ready.size();
    }

    /** Rows not yet written, in every stage. */
    public int rows() {
        int rows = current.size() + ready.size();
        for (List<AnsweredTurn> r : awaiting.values()) {
            rows += r.size();
        }
        return rows;
    }

    /** The estimated size of every row not yet written. */
    public long bytes() {
        return bytes;
    }

    /**
     * Null while the backlog is within its bounds, else why not. Rows are counted in every stage:
     * a database that is away keeps them all.
     */
    public String overBound() {
        int rows = rows();
        if (rows > maxRows) {
            return "the audit backlog holds " + rows + " rows, more than sluice.audit.max-backlog-rows (" + maxRows + ")";
        }
        if (bytes > maxBytes) {
            return "the audit backlog holds about " + bytes + " bytes, more than sluice.audit.max-backlog-bytes ("
                    + maxBytes + ")";
        }
        return null;
    }

    /**
     * A row's size in state, estimated from its variable parts (characters of its texts and ids;
     * the fixed fields are a constant), without rendering it.
     */
    static long estimatedBytes(AnsweredTurn row) {
        long size = 512;
        var r = row.request();
        size += length(r.message()) + length(r.requestId()) + length(r.conversationId()) + length(r.tenantId());
        size += length(row.answer()) + length(row.snapshotId()) + length(row.embeddingModel()) + length(row.modelId());
        for (RetrievedChunk c : row.retrieved()) {
            size += 64 + length(c.chunkId()) + length(c.documentId()) + length(c.title()) + length(c.text());
        }
        size += 96L * row.citations().size();
        return size;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }
}
