package io.sluice.operators.flink;

import io.sluice.operators.batch.BatchBuffer;
import io.sluice.operators.batch.BatchFunction;
import io.sluice.operators.batch.RecordRejector;
import io.sluice.operators.failure.RecordFailures;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;

import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Dynamic micro-batching: buffers records until {@code maxBatchSize} are waiting or the oldest has
 * waited {@code maxWait}, whichever comes first, then runs one {@link BatchFunction} call and emits
 * the results in input order with the inputs' timestamps.
 *
 * <p>The buffer is flushed before every checkpoint barrier, so a checkpoint never covers a record
 * that has not been processed, and the operator needs no state: after a failure the source replays
 * whatever was in flight. It is also flushed before a watermark is forwarded (no output falls behind
 * a watermark) and at the end of bounded input. Metrics under {@code sluice.<stage>}:
 * {@code batches}, {@code batchSize} and {@code queueMicros} (time a record waited for its batch)
 * histograms, and {@code latencyMicros} of the batch call.
 *
 * <p>With a {@link RecordRejector}, a batch call that fails because of its records (see
 * {@link RecordFailures}) is run again record by record: the records that fail alone become
 * rejections on {@link Rejections#TAG} (counted as {@code rejected.reason.turns}, reason {@code stage_failed}), the others go on
 * in order. Without one (the backfill), or for a failure of the environment, the failure fails the
 * job over as before.
 */
public final class MicroBatchOperator<IN, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, BoundedOneInput, ProcessingTimeCallback {

    private static final long serialVersionUID = 1L;
    private static final int HISTOGRAM_WINDOW = 1024;

    private final String stage;
    private final BatchFunction<IN, OUT> function;
    private final int maxBatchSize;
    private final long maxWaitMillis;
    private final RecordRejector<IN> rejector;

    private transient BatchBuffer<IN> buffer;
    private transient Counter stageFailures;
    private transient long deadline;
    private transient Counter batches;
    private transient Histogram batchSize;
    private transient Histogram queueMicros;
    private transient Histogram latencyMicros;

    public MicroBatchOperator(String stage, BatchFunction<IN, OUT> function, int maxBatchSize, Duration maxWait) {
        this(stage, function, maxBatchSize, maxWait, null);
    }

    /** @param rejector turns records the batch function fails on into rejections; null fails the job */
    public MicroBatchOperator(String stage, BatchFunction<IN, OUT> function, int maxBatchSize, Duration maxWait,
            RecordRejector<IN> rejector) {
        if (maxBatchSize < 1 || maxWait.isNegative()) {
            throw new IllegalArgumentException("max batch size must be at least 1 and max wait not negative");
        }
        this.stage = stage;
        this.function = function;
        this.maxBatchSize = maxBatchSize;
        this.maxWaitMillis = maxWait.toMillis();
        this.rejector = rejector;
    }

    /** Adds a micro-batching stage named {@code stage} after {@code input}. */
    public static <IN, OUT> SingleOutputStreamOperator<OUT> apply(DataStream<IN> input, String stage,
            TypeInformation<OUT> outputType, BatchFunction<IN, OUT> function, int maxBatchSize, Duration maxWait) {
        return apply(input, stage, outputType, function, maxBatchSize, maxWait, null);
    }

    /** As above, with records the function fails on rejected by {@code rejector}. */
    public static <IN, OUT> SingleOutputStreamOperator<OUT> apply(DataStream<IN> input, String stage,
            TypeInformation<OUT> outputType, BatchFunction<IN, OUT> function, int maxBatchSize, Duration maxWait,
            RecordRejector<IN> rejector) {
        return input.transform(stage, outputType,
                new MicroBatchOperator<>(stage, function, maxBatchSize, maxWait, rejector));
    }

    @Override
    public void open() throws Exception {
        super.open();
        buffer = new BatchBuffer<>(maxBatchSize);
        var group = getMetricGroup().addGroup("sluice").addGroup(stage);
        batches = group.counter("batches");
        batchSize = group.histogram("batch_size", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        queueMicros = group.histogram("queue_micros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        latencyMicros = group.histogram("latency_micros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        stageFailures = StageMetrics.rejectedCounter(group, RejectReason.STAGE_FAILED);
        function.open(getRuntimeContext());
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        if (buffer.isEmpty() && maxWaitMillis > 0) {
            deadline = getProcessingTimeService().getCurrentProcessingTime() + maxWaitMillis;
            getProcessingTimeService().registerTimer(deadline, this);
        }
        buffer.add(element.getValue(), element.hasTimestamp() ? element.getTimestamp() : BatchBuffer.NO_TIMESTAMP,
                System.nanoTime());
        function.added(element.getValue());
        if (buffer.isFull() || maxWaitMillis == 0) {
            flush();
        }
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        // A timer set for a batch that was already flushed by size must not cut the next batch
        // short: only the current batch's own deadline flushes it.
        if (!buffer.isEmpty() && time >= deadline) {
            flush();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flush();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        flush();
        super.processWatermark(mark);
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            function.close();
        } finally {
            super.close();
        }
    }

    private void flush() throws Exception {
        if (buffer == null || buffer.isEmpty()) {
            return;
        }
        List<BatchBuffer.Pending<IN>> batch = buffer.drain();
        List<IN> values = new ArrayList<>(batch.size());
        long start = System.nanoTime();
        for (BatchBuffer.Pending<IN> p : batch) {
            values.add(p.value());
            queueMicros.update((start - p.arrivedNanos()) / 1000);
        }
        List<OUT> results;
        try {
            results = function.apply(values);
        } catch (Exception | StackOverflowError e) {
            if (rejector == null || RecordFailures.isEnvironmental(e)) {
                throw e;
            }
            recordByRecord(batch);
            return;
        }
        latencyMicros.update((System.nanoTime() - start) / 1000);
        checkSize(results, batch.size());
        batches.inc();
        batchSize.update(batch.size());
        for (int i = 0; i < results.size(); i++) {
            emit(results.get(i), batch.get(i).timestamp());
        }
    }

    /** After a batch failed because of its records: each record alone, so only the bad ones are rejected. */
    private void recordByRecord(List<BatchBuffer.Pending<IN>> batch) throws Exception {
        for (BatchBuffer.Pending<IN> p : batch) {
            List<OUT> result;
            try {
                result = function.apply(List.of(p.value()));
            } catch (Exception | StackOverflowError e) {
                String description = RecordFailures.describeOrRethrow(e);
                stageFailures.inc();
                Rejection rejection = rejector.reject(p.value(), description);
                output.collect(Rejections.TAG, p.timestamp() == BatchBuffer.NO_TIMESTAMP ? new StreamRecord<>(rejection)
                        : new StreamRecord<>(rejection, p.timestamp()));
                continue;
            }
            checkSize(result, 1);
            batches.inc();
            batchSize.update(1);
            emit(result.get(0), p.timestamp());
        }
    }

    private void checkSize(List<OUT> results, int inputs) {
        if (results.size() != inputs) {
            throw new IllegalStateException("Batch function of stage " + stage + " returned " + results.size()
                    + " results for " + inputs + " inputs");
        }
    }

    private void emit(OUT value, long timestamp) {
        output.collect(timestamp == BatchBuffer.NO_TIMESTAMP ? new StreamRecord<>(value)
                : new StreamRecord<>(value, timestamp));
    }
}
