package io.sluice.operators.flink;

import io.sluice.operators.batch.BatchQueue;
import io.sluice.operators.batch.BatchFunction;
import io.sluice.operators.batch.RecordRejector;
import io.sluice.operators.failure.RecordFailures;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.operators.legacy.YieldingOperatorFactory;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamElement;
import org.apache.flink.streaming.runtime.streamrecord.StreamElementSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Dynamic micro-batching: runs a {@link BatchFunction} on batches of records on a thread of its own,
 * one batch at a time, and emits the results in input order with the inputs' timestamps. When the
 * next batch starts is {@link BatchQueue}'s: as soon as the function is free (after an optional
 * linger, {@code maxWait}), with every record that arrived while it was busy, up to
 * {@code maxBatchSize}. While a full batch waits for a running one, the task stops taking input
 * (backpressure). Because the function runs beside the task thread, the operators chained after this
 * one (retrieval and the conversation, in serving) work on one batch's results while the model
 * computes the next.
 *
 * <p>Results come back through the task's mailbox, so everything but the function's call runs on
 * the task thread. A checkpoint does not wait for the function: the records it holds (the running
 * batch and those waiting) go into the checkpoint, as Flink's {@code AsyncWaitOperator} keeps its
 * queue, and a restored operator runs them again before it takes new input. Draining instead would
 * stop the task for a whole batch call at every barrier, which costs a model-bound stage its
 * capacity. On a keyed stream the records are kept in keyed state under their own keys, so that
 * after a change of parallelism each lands on the subtask that owns its key (the serving job
 * reinterprets the stream after this stage as still keyed); otherwise in operator list state.
 * Before a watermark is forwarded and at the end of input the operator still waits until nothing
 * runs or waits, so neither passes a record. Metrics under {@code sluice.<stage>}:
 * {@code batches}, {@code batch_size} and {@code queue_micros} (time a record waited for its
 * batch) histograms, {@code latency_micros} of the batch call, and the gauge {@code held} (records
 * waiting or in the running batch: what a checkpoint would keep).
 *
 * <p>With a {@link RecordRejector}, a batch call that fails because of its records (see
 * {@link RecordFailures}) is run again record by record: the records that fail alone become
 * rejections on {@link Rejections#TAG} (counted as {@code rejected.reason.turns}, reason
 * {@code stage_failed}), the others go on in order. Without one, or for a failure of the
 * environment, the failure fails the job over.
 */
public final class MicroBatchOperator<IN, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, BoundedOneInput, ProcessingTimeCallback {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatchOperator.class);
    private static final int HISTOGRAM_WINDOW = 1024;
    /** The records a checkpoint found in the operator: the running batch, then the waiting ones. */
    private static final String HELD_STATE = "held";
    /** How long closing waits for a batch call still running before it closes the function anyway. */
    private static final long CLOSE_WAIT_SECONDS = 30;

    private final String stage;
    private final BatchFunction<IN, OUT> function;
    private final int maxBatchSize;
    private final long maxWaitMillis;
    private final RecordRejector<IN> rejector;
    private final transient MailboxExecutor mailbox;

    private transient BatchQueue<IN> queue;
    /** The batch the function is computing, until its results are out. */
    private transient List<BatchQueue.Pending<IN>> running;
    private transient ListState<StreamElement> held;
    /** Keyed stream: the keys under which the last checkpoint kept records (cleared by the next). */
    private transient Set<Object> keysHeld;
    /** Records a restored checkpoint held, run again when the operator opens. */
    private transient List<StreamRecord<IN>> restored;
    private transient ExecutorService caller;
    private transient volatile boolean closed;
    private transient Counter stageFailures;
    private transient Counter batches;
    private transient Histogram batchSize;
    private transient Histogram queueMicros;
    private transient Histogram latencyMicros;
    /** Records taken in and not yet out (emitted or rejected); read by the metrics reporter's thread. */
    private transient AtomicInteger heldCount;

    MicroBatchOperator(StreamOperatorParameters<OUT> parameters, MailboxExecutor mailbox, String stage,
            BatchFunction<IN, OUT> function, int maxBatchSize, Duration maxWait, RecordRejector<IN> rejector) {
        super(parameters); // the factory checked the settings
        this.mailbox = mailbox;
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
                new Factory<>(stage, function, maxBatchSize, maxWait, rejector));
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        var descriptor = new ListStateDescriptor<StreamElement>(HELD_STATE, new StreamElementSerializer<>(
                getOperatorConfig().<IN>getTypeSerializerIn(0, getUserCodeClassloader())));
        restored = new ArrayList<>();
        if (getKeyedStateBackend() == null) {
            held = context.getOperatorStateStore().getListState(descriptor);
            if (context.isRestored()) {
                held.get().forEach(e -> restored.add(e.asRecord()));
            }
            return;
        }
        held = context.getKeyedStateStore().getListState(descriptor);
        keysHeld = new HashSet<>();
        if (context.isRestored()) {
            getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                    descriptor, (key, records) -> {
                        keysHeld.add(key);
                        records.get().forEach(e -> restored.add(e.asRecord()));
                    });
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<StreamElement> records = new ArrayList<>();
        if (running != null) {
            running.forEach(p -> records.add(record(p.value(), p.timestamp())));
        }
        queue.waiting().forEach(p -> records.add(record(p.value(), p.timestamp())));
        if (keysHeld == null) {
            held.update(records);
            return;
        }
        Object currentKey = getCurrentKey();
        for (Object key : keysHeld) {
            setCurrentKey(key);
            held.clear();
        }
        keysHeld.clear();
        for (StreamElement e : records) {
            setKeyContextElement1(e.asRecord());
            held.add(e);
            keysHeld.add(getCurrentKey());
        }
        if (currentKey != null) {
            setCurrentKey(currentKey);
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        queue = new BatchQueue<>(maxBatchSize, maxWaitMillis);
        var group = getMetricGroup().addGroup("sluice").addGroup(stage);
        batches = group.counter("batches");
        batchSize = group.histogram("batch_size", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        queueMicros = group.histogram("queue_micros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        latencyMicros = group.histogram("latency_micros", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        heldCount = new AtomicInteger();
        group.gauge("held", heldCount::get);
        stageFailures = StageMetrics.rejectedCounter(group, RejectReason.STAGE_FAILED);
        function.open(getRuntimeContext());
        String threadName = "sluice-" + stage + "-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        ClassLoader userCode = getUserCodeClassloader();
        caller = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            t.setContextClassLoader(userCode);
            return t;
        });
        // What a checkpoint held goes first, before any input the source reads again after it.
        if (!restored.isEmpty()) {
            LOG.info("{} subtask {}: {} records the restored checkpoint held run again", stage,
                    getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), restored.size());
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        for (StreamRecord<IN> r : restored) {
            take(r, now);
        }
        restored = null;
        List<BatchQueue.Pending<IN>> batch = queue.nextNow();
        if (batch != null) {
            call(batch);
        }
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        long now = getProcessingTimeService().getCurrentProcessingTime();
        boolean first = queue.isEmpty() && !queue.isRunning();
        take(element, now);
        if (!startNext(now) && first) {
            getProcessingTimeService().registerTimer(queue.lingerDeadline(), this);
        }
        while (queue.isFull() && queue.isRunning()) {
            mailbox.yield(); // the running batch's results come back here and start the full one
        }
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        // A timer set for records that have started since finds nothing lingering, or a later
        // deadline: the queue decides.
        startNext(time);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        drain();
        super.processWatermark(mark);
    }

    @Override
    public void endInput() throws Exception {
        drain();
    }

    @Override
    public void finish() throws Exception {
        drain();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        closed = true;
        try {
            if (caller != null) {
                caller.shutdownNow();
                // The function must not be closed under a call still running (a model's session).
                caller.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            try {
                function.close();
            } finally {
                super.close();
            }
        }
    }

    /** Queues {@code element}, which arrived at {@code now}, and tells the function. */
    private void take(StreamRecord<IN> element, long now) {
        queue.add(element.getValue(), element.hasTimestamp() ? element.getTimestamp() : BatchQueue.NO_TIMESTAMP,
                System.nanoTime(), now);
        heldCount.incrementAndGet();
        function.added(element.getValue());
    }

    /** Runs and emits everything waiting, and waits for it. */
    private void drain() throws Exception {
        if (queue == null) {
            return;
        }
        while (!queue.isDrained()) {
            List<BatchQueue.Pending<IN>> batch = queue.nextNow();
            if (batch != null) {
                call(batch);
            } else {
                mailbox.yield();
            }
        }
    }

    private boolean startNext(long now) {
        List<BatchQueue.Pending<IN>> batch = queue.next(now);
        if (batch == null) {
            return false;
        }
        call(batch);
        return true;
    }

    /** Calls the function on its thread; the outcome comes back to {@link #finished} on the task thread. */
    private void call(List<BatchQueue.Pending<IN>> batch) {
        running = batch;
        List<IN> values = new ArrayList<>(batch.size());
        long start = System.nanoTime();
        for (BatchQueue.Pending<IN> p : batch) {
            values.add(p.value());
            queueMicros.update((start - p.arrivedNanos()) / 1000);
        }
        caller.execute(() -> {
            List<OUT> results = null;
            Throwable failure = null;
            long began = System.nanoTime();
            try {
                results = function.apply(values);
            } catch (Throwable t) {
                failure = t;
            }
            long micros = (System.nanoTime() - began) / 1000;
            List<OUT> out = results;
            Throwable failed = failure;
            if (!closed) {
                try {
                    mailbox.execute(() -> finished(batch, out, failed, micros), "%s batch of %d ended", stage,
                            batch.size());
                } catch (RejectedExecutionException e) {
                    // The task is shutting down: the batch's records are still in the last checkpoint.
                }
            }
        });
    }

    private void finished(List<BatchQueue.Pending<IN>> batch, List<OUT> results, Throwable failure, long micros)
            throws Exception {
        running = null;
        heldCount.addAndGet(-batch.size()); // all go out (or are rejected) before this returns
        if (failure != null) {
            boolean recordCaused = (failure instanceof Exception || failure instanceof StackOverflowError)
                    && rejector != null && !RecordFailures.isEnvironmental(failure);
            queue.finished();
            if (!recordCaused) {
                throw failure instanceof Exception e ? e : new RuntimeException(failure);
            }
            // Before the next batch starts: nothing else runs now, so the function may be called here.
            recordByRecord(batch);
            startNext(getProcessingTimeService().getCurrentProcessingTime());
            return;
        }
        latencyMicros.update(micros);
        checkSize(results, batch.size());
        batches.inc();
        batchSize.update(batch.size());
        // The next batch starts before these results go down the chain, so the model computes it
        // while the operators after this one work on these.
        queue.finished();
        startNext(getProcessingTimeService().getCurrentProcessingTime());
        for (int i = 0; i < results.size(); i++) {
            emit(results.get(i), batch.get(i).timestamp());
        }
    }

    /** After a batch failed because of its records: each record alone, so only the bad ones are rejected. */
    private void recordByRecord(List<BatchQueue.Pending<IN>> batch) throws Exception {
        for (BatchQueue.Pending<IN> p : batch) {
            List<OUT> result;
            try {
                result = function.apply(List.of(p.value()));
            } catch (Exception | StackOverflowError e) {
                String description = RecordFailures.describeOrRethrow(e);
                stageFailures.inc();
                Rejection rejection = rejector.reject(p.value(), description);
                output.collect(Rejections.TAG, p.timestamp() == BatchQueue.NO_TIMESTAMP ? new StreamRecord<>(rejection)
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

    /** Records taken in and not yet out: the {@code held} gauge. */
    int held() {
        return heldCount.get();
    }

    private void emit(OUT value, long timestamp) {
        output.collect(record(value, timestamp));
    }

    private static <T> StreamRecord<T> record(T value, long timestamp) {
        return timestamp == BatchQueue.NO_TIMESTAMP ? new StreamRecord<>(value) : new StreamRecord<>(value, timestamp);
    }

    /** Creates the operator with the task's mailbox executor (Flink hands it to factories, not to operators). */
    static final class Factory<IN, OUT> extends AbstractStreamOperatorFactory<OUT>
            implements OneInputStreamOperatorFactory<IN, OUT>, YieldingOperatorFactory<OUT> {

        private static final long serialVersionUID = 1L;

        private final String stage;
        private final BatchFunction<IN, OUT> function;
        private final int maxBatchSize;
        private final Duration maxWait;
        private final RecordRejector<IN> rejector;

        Factory(String stage, BatchFunction<IN, OUT> function, int maxBatchSize, Duration maxWait,
                RecordRejector<IN> rejector) {
            if (maxBatchSize < 1 || maxWait.isNegative()) {
                throw new IllegalArgumentException("max batch size must be at least 1 and max wait not negative");
            }
            this.stage = stage;
            this.function = function;
            this.maxBatchSize = maxBatchSize;
            this.maxWait = maxWait;
            this.rejector = rejector;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T extends StreamOperator<OUT>> T createStreamOperator(StreamOperatorParameters<OUT> parameters) {
            return (T) new MicroBatchOperator<>(parameters, getMailboxExecutor(), stage, function, maxBatchSize,
                    maxWait, rejector);
        }

        @Override
        public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
            return MicroBatchOperator.class;
        }
    }
}
