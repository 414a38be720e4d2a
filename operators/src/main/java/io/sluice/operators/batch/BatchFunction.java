package io.sluice.operators.batch;

import org.apache.flink.api.common.functions.RuntimeContext;

import java.io.Serializable;
import java.util.List;

/**
 * What a {@link io.sluice.operators.flink.MicroBatchOperator} does with one batch: exactly one
 * output per input, in input order. Implementations are created on the client, shipped with the
 * job, and opened once per subtask.
 */
public abstract class BatchFunction<IN, OUT> implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Acquires resources (models, indexes) and registers metrics or accumulators. */
    public void open(RuntimeContext context) throws Exception {}

    /**
     * {@code element} joined the batch being gathered: a chance to start slow work for it (a cache
     * lookup) that {@link #apply} then collects on its own thread. Called on the task thread, possibly
     * while {@link #apply} runs for an earlier batch: what the two share must be thread-safe.
     */
    public void added(IN element) {}

    /**
     * The outputs of {@code batch}. Called on the operator's own threads, for as many batches at once
     * as the operator was given (after a batch failed because of its records, again record by record
     * on the same thread): with more than one, what calls share must be thread-safe.
     */
    public abstract List<OUT> apply(List<IN> batch) throws Exception;

    /**
     * {@code result} goes to the next operator now, on the task thread: after the task's mailbox
     * handed its batch back, and after any earlier batch (results leave in input order). Not called
     * for a record rejected instead.
     */
    public void handedOn(OUT result) {}

    public void close() throws Exception {}
}
