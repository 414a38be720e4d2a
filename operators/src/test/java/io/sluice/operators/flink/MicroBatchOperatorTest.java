package io.sluice.operators.flink;

import io.sluice.operators.batch.BatchFunction;
import io.sluice.operators.batch.RecordRejector;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Operator harness tests of dynamic micro-batching. The batch function runs on the operator's own
 * thread, as in a job; its results reach the output when the test runs the task's mailbox, as the
 * task thread would.
 */
@Timeout(60)
class MicroBatchOperatorTest {

    /**
     * Multiplies by ten and records the size of every batch it was given; with a gate, each batch
     * waits for a permit first, so that a test decides when the "model" is busy.
     */
    private static final class TimesTen extends BatchFunction<Integer, Integer> {
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final Semaphore gate;

        TimesTen(boolean gated) {
            gate = gated ? new Semaphore(0) : null;
        }

        @Override
        public List<Integer> apply(List<Integer> batch) throws InterruptedException {
            batchSizes.add(batch.size());
            if (gate != null) {
                gate.acquire();
            }
            return batch.stream().map(x -> x * 10).toList();
        }
    }

    private static OneInputStreamOperatorTestHarness<Integer, Integer> harness(BatchFunction<Integer, Integer> fn,
            int maxBatch, long maxWaitMs, RecordRejector<Integer> rejector) throws Exception {
        return harness(new MicroBatchOperator.Factory<>("test", fn, maxBatch, Duration.ofMillis(maxWaitMs), rejector));
    }

    private static OneInputStreamOperatorTestHarness<Integer, Integer> harness(
            MicroBatchOperator.Factory<Integer, Integer> factory) throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(factory, IntSerializer.INSTANCE);
        h.setProcessingTime(0);
        h.open();
        return h;
    }

    private static OneInputStreamOperatorTestHarness<Integer, Integer> harness(TimesTen fn, int maxBatch,
            long maxWaitMs) throws Exception {
        return harness(fn, maxBatch, maxWaitMs, null);
    }

    /** Waits for the running batch to end and hands its results to the operator, as the task thread would. */
    private static void awaitBatch(OneInputStreamOperatorTestHarness<Integer, Integer> h) throws Exception {
        h.getTaskMailbox().take(TaskMailbox.MIN_PRIORITY).run();
    }

    @Test
    void anIdleFunctionTakesARecordAtOnce() throws Exception {
        TimesTen fn = new TimesTen(false);
        try (var h = harness(fn, 32, 0)) {
            h.processElement(new StreamRecord<>(1, 100L));
            awaitBatch(h);
            assertThat(h.extractOutputStreamRecords()).containsExactly(new StreamRecord<>(10, 100L));
            assertThat(fn.batchSizes).containsExactly(1);
        }
    }

    @Test
    void theFunctionRunsAtTheLowestPriority() throws Exception {
        List<Integer> priorities = new CopyOnWriteArrayList<>();
        BatchFunction<Integer, Integer> fn = new BatchFunction<>() {
            @Override
            public List<Integer> apply(List<Integer> batch) {
                priorities.add(Thread.currentThread().getPriority());
                return batch;
            }
        };
        try (var h = harness(fn, 32, 0, null)) {
            h.processElement(new StreamRecord<>(1));
            awaitBatch(h);
            assertThat(priorities).containsExactly(Thread.MIN_PRIORITY);
            assertThat(Thread.currentThread().getPriority()).isEqualTo(Thread.NORM_PRIORITY);
        }
    }

    @Test
    void recordsThatArriveWhileABatchRunsStartTogetherWhenItEnds() throws Exception {
        TimesTen fn = new TimesTen(true);
        try (var h = harness(fn, 32, 0)) {
            h.processElement(new StreamRecord<>(1, 100L)); // starts alone and holds the function
            h.processElement(new StreamRecord<>(2, 200L));
            h.processElement(new StreamRecord<>(3, 300L));
            h.processElement(new StreamRecord<>(4, 400L));
            fn.gate.release();
            awaitBatch(h);
            assertThat(h.extractOutputValues()).containsExactly(10);
            fn.gate.release();
            awaitBatch(h);
            assertThat(fn.batchSizes).containsExactly(1, 3);
            assertThat(h.extractOutputStreamRecords()).extracting(StreamRecord::getTimestamp)
                    .containsExactly(100L, 200L, 300L, 400L);
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30, 40);
        }
    }

    @Test
    void aFullBatchWaitingForARunningOneHoldsBackTheInput() throws Exception {
        TimesTen fn = new TimesTen(true);
        try (var h = harness(fn, 2, 0)) {
            h.processElement(new StreamRecord<>(1));
            h.processElement(new StreamRecord<>(2));
            fn.gate.release();
            // 2 and 3 are a full batch while 1 runs: the call returns only once 1's results are out
            // and 2 and 3 have started.
            h.processElement(new StreamRecord<>(3));
            assertThat(h.extractOutputValues()).containsExactly(10);
            fn.gate.release();
            awaitBatch(h);
            assertThat(fn.batchSizes).containsExactly(1, 2);
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30);
        }
    }

    @Test
    void anIdleFunctionWaitsForCompanyUpToMaxWait() throws Exception {
        TimesTen fn = new TimesTen(false);
        try (var h = harness(fn, 10, 50)) {
            h.processElement(new StreamRecord<>(1));
            h.setProcessingTime(30);
            h.processElement(new StreamRecord<>(2));
            h.setProcessingTime(49);
            assertThat(fn.batchSizes).isEmpty();
            h.setProcessingTime(50);
            awaitBatch(h);
            assertThat(h.extractOutputValues()).containsExactly(10, 20);
            assertThat(fn.batchSizes).containsExactly(2);
        }
    }

    @Test
    void aFullBatchStartsWithoutWaitingForMaxWait() throws Exception {
        TimesTen fn = new TimesTen(false);
        try (var h = harness(fn, 3, 1000)) {
            h.processElement(new StreamRecord<>(1, 100L));
            h.processElement(new StreamRecord<>(2, 200L));
            assertThat(fn.batchSizes).isEmpty();
            h.processElement(new StreamRecord<>(3, 300L));
            awaitBatch(h);
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30);
            assertThat(fn.batchSizes).containsExactly(3);
        }
    }

    @Test
    void aStaleTimerDoesNotCutTheNextBatchShort() throws Exception {
        TimesTen fn = new TimesTen(false);
        try (var h = harness(fn, 2, 50)) {
            h.processElement(new StreamRecord<>(1)); // timer at 50
            h.processElement(new StreamRecord<>(2)); // full: starts now
            awaitBatch(h);
            h.setProcessingTime(40);
            h.processElement(new StreamRecord<>(3)); // its own deadline is 90
            h.setProcessingTime(50);                  // the first batch's timer fires
            assertThat(fn.batchSizes).containsExactly(2);
            h.setProcessingTime(90);
            awaitBatch(h);
            assertThat(fn.batchSizes).containsExactly(2, 1);
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30);
        }
    }

    @Test
    void theHeldGaugeCountsRecordsWaitingOrRunningUntilTheyAreOut() throws Exception {
        TimesTen fn = new TimesTen(true);
        try (var h = harness(fn, 10, 0)) {
            var operator = (MicroBatchOperator<Integer, Integer>) h.getOperator();
            h.processElement(new StreamRecord<>(1)); // runs
            h.processElement(new StreamRecord<>(2)); // waits
            assertThat(operator.held()).isEqualTo(2);
            fn.gate.release();
            awaitBatch(h); // 1 out, 2 runs
            assertThat(operator.held()).isEqualTo(1);
            fn.gate.release();
            awaitBatch(h);
            assertThat(operator.held()).isZero();
            assertThat(h.extractOutputValues()).containsExactly(10, 20);
        }
    }

    @Test
    void nothingStaysBufferedPastTheEndOfInput() throws Exception {
        TimesTen fn = new TimesTen(false);
        try (var h = harness(fn, 10, 60_000)) {
            h.processElement(new StreamRecord<>(1));
            h.processElement(new StreamRecord<>(2));
            h.endInput();
            assertThat(h.extractOutputValues()).containsExactly(10, 20);
            assertThat(fn.batchSizes).containsExactly(2);
        }
    }

    @Test
    void aCheckpointKeepsTheRecordsInFlightInsteadOfWaitingForThem() throws Exception {
        TimesTen fn = new TimesTen(true);
        OperatorSubtaskState checkpoint;
        try (var h = harness(fn, 10, 0)) {
            h.processElement(new StreamRecord<>(1, 100L)); // runs, held by the gate
            h.processElement(new StreamRecord<>(2, 200L));
            h.processElement(new StreamRecord<>(3, 300L));
            // Returns with the gate shut: the checkpoint waited for no batch.
            checkpoint = h.snapshot(1L, 0L);
            assertThat(h.extractOutputValues()).isEmpty();
            // The results still go out after the barrier.
            fn.gate.release(2);
            awaitBatch(h);
            awaitBatch(h);
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30);
        }
        assertRestoredRunsOneToThreeInOneBatch(checkpoint);
    }

    /** A non-keyed operator restored from {@code checkpoint}, which held 1, 2 and 3 (at 100, 200, 300). */
    private static void assertRestoredRunsOneToThreeInOneBatch(OperatorSubtaskState checkpoint) throws Exception {
        TimesTen fresh = new TimesTen(false);
        try (var restored = new OneInputStreamOperatorTestHarness<>(factory(fresh, 10, 0, null), IntSerializer.INSTANCE)) {
            restored.initializeState(checkpoint);
            restored.open();
            awaitBatch(restored);
            assertThat(fresh.batchSizes).containsExactly(3);
            assertThat(restored.extractOutputStreamRecords()).containsExactly(new StreamRecord<>(10, 100L),
                    new StreamRecord<>(20, 200L), new StreamRecord<>(30, 300L));
        }
    }

    @Test
    void recordsOutOfTheOperatorAreNotInTheNextCheckpoint() throws Exception {
        TimesTen fn = new TimesTen(true);
        OperatorSubtaskState first;
        OperatorSubtaskState second;
        try (var h = keyedHarness(fn, 10, 0)) {
            h.open();
            h.processElement(new StreamRecord<>(1));
            h.processElement(new StreamRecord<>(2));
            first = h.snapshot(1L, 0L);
            fn.gate.release();
            awaitBatch(h);
            second = h.snapshot(2L, 0L); // 1 is out, 2 runs
            fn.gate.release();
            awaitBatch(h);
            assertThat(h.extractOutputValues()).containsExactly(10, 20);
        }
        assertThat(restoredOutput(first, 0, 1)).containsExactly(10, 20);
        assertThat(restoredOutput(second, 0, 1)).containsExactly(20);
    }

    /** The serving job's backend and the heap one: they enumerate a state's keys differently. */
    @ParameterizedTest(name = "RocksDB: {0}")
    @ValueSource(booleans = {true, false})
    void afterRescalingEachHeldRecordRunsOnTheSubtaskThatOwnsItsKeyInItsKeysOrder(boolean rocksDb) throws Exception {
        TimesTen fn = new TimesTen(true);
        OperatorSubtaskState checkpoint;
        List<Integer> records = java.util.stream.IntStream.concat(java.util.stream.IntStream.rangeClosed(1, 8),
                java.util.stream.IntStream.rangeClosed(11, 18)).boxed().toList();
        backend = rocksDb ? new EmbeddedRocksDBStateBackend() : null;
        try (var h = keyedHarness(fn, 32, 0)) {
            h.open();
            for (int x : records) {
                h.processElement(new StreamRecord<>(x));
            }
            checkpoint = h.snapshot(1L, 0L);
            fn.gate.release(2); // closing the harness finishes the operator, which drains
        }
        List<Integer> all = new java.util.ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            int s = subtask;
            List<Integer> expected = records.stream().filter(x ->
                    KeyGroupRangeAssignment.assignKeyToParallelOperator(x % 10, MAX_PARALLELISM, 2) == s)
                    .map(x -> x * 10).toList();
            assertThat(expected).as("keys 1-8 spread over both subtasks").isNotEmpty();
            List<Integer> output = restoredOutput(AbstractStreamOperatorTestHarness.repartitionOperatorState(
                    checkpoint, MAX_PARALLELISM, 1, 2, subtask), subtask, 2);
            assertThat(output).as("subtask %d", subtask).containsExactlyInAnyOrderElementsOf(expected);
            // Across keys the order is the state's; within a key it is the input's.
            for (int x : output) {
                if (x < 100) {
                    assertThat(output.indexOf(x)).as("%d before %d", x, x + 100).isLessThan(output.indexOf(x + 100));
                }
            }
            all.addAll(output);
        }
        assertThat(all).hasSameSizeAs(records);
    }

    /** The keyed tests' key: numbers ten apart belong to one key, so a key holds several records. */
    private static final KeySelector<Integer, Integer> KEY = x -> x % 10;
    private static final int MAX_PARALLELISM = 128;
    /** The keyed harnesses' state backend; null: the harness's default (heap). */
    private StateBackend backend;

    private static MicroBatchOperator.Factory<Integer, Integer> factory(BatchFunction<Integer, Integer> fn,
            int maxBatch, long maxWaitMs, RecordRejector<Integer> rejector) {
        return new MicroBatchOperator.Factory<>("test", fn, maxBatch, Duration.ofMillis(maxWaitMs), rejector);
    }

    /** Keyed by {@link #KEY}; state initialized, not opened. */
    private KeyedOneInputStreamOperatorTestHarness<Integer, Integer, Integer> keyedHarness(
            BatchFunction<Integer, Integer> fn, int maxBatch, int subtask, int parallelism) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(factory(fn, maxBatch, 0, null), KEY,
                Types.INT, MAX_PARALLELISM, parallelism, subtask);
        if (backend != null) {
            h.setStateBackend(backend);
        }
        h.getStreamConfig().setupNetworkInputs(IntSerializer.INSTANCE);
        h.getStreamConfig().serializeAllConfigs();
        h.setProcessingTime(0);
        return h;
    }

    private KeyedOneInputStreamOperatorTestHarness<Integer, Integer, Integer> keyedHarness(
            BatchFunction<Integer, Integer> fn, int maxBatch, int subtask) throws Exception {
        var h = keyedHarness(fn, maxBatch, subtask, 1);
        h.initializeEmptyState();
        return h;
    }

    /** What a keyed operator restored from {@code state} emits before it takes any input: one batch. */
    private List<Integer> restoredOutput(OperatorSubtaskState state, int subtask, int parallelism)
            throws Exception {
        TimesTen fn = new TimesTen(false);
        try (var h = keyedHarness(fn, 32, subtask, parallelism)) {
            h.initializeState(state);
            h.open();
            awaitBatch(h); // every caller restores at least one record
            assertThat(fn.batchSizes).hasSize(1);
            return h.extractOutputValues();
        }
    }

    /** Fails any batch that holds a negative number; {@code environmental} makes that an I/O failure. */
    private static final class RefusesNegatives extends BatchFunction<Integer, Integer> {
        final boolean environmental;

        RefusesNegatives(boolean environmental) {
            this.environmental = environmental;
        }

        @Override
        public List<Integer> apply(List<Integer> batch) {
            if (batch.stream().anyMatch(x -> x < 0)) {
                if (environmental) {
                    throw new java.io.UncheckedIOException(new java.io.IOException("model file unreadable"));
                }
                throw new IllegalArgumentException("negative input");
            }
            return batch.stream().map(x -> x * 10).toList();
        }
    }

    @Test
    void aBatchThatFailsBecauseOfARecordRejectsOnlyThatRecord() throws Exception {
        try (var h = harness(new RefusesNegatives(false), 4, 1000, (Integer x, String why) ->
                new io.sluice.schemas.Rejection("test", io.sluice.schemas.RejectReason.STAGE_FAILED, why, "r" + x,
                        null, null, null, 0, 0L, 0L))) {
            for (int x : new int[] {1, -2, 3, 4}) {
                h.processElement(new StreamRecord<>(x, 100L + x));
            }
            awaitBatch(h);
            assertThat(h.extractOutputValues()).containsExactly(10, 30, 40);
            assertThat(h.getSideOutput(Rejections.TAG)).singleElement().satisfies(r -> {
                assertThat(r.getValue().requestId()).isEqualTo("r-2");
                assertThat(r.getValue().detail()).isEqualTo("IllegalArgumentException: negative input");
                assertThat(r.getTimestamp()).isEqualTo(98L);
            });
        }
    }

    @Test
    void aBatchThatFailsBecauseOfTheEnvironmentFailsTheJob() throws Exception {
        try (var h = harness(new RefusesNegatives(true), 2, 1000, (Integer x, String why) -> null)) {
            h.processElement(new StreamRecord<>(1));
            h.processElement(new StreamRecord<>(-1));
            assertThatThrownBy(() -> awaitBatch(h)).isInstanceOf(java.io.UncheckedIOException.class);
            assertThat(h.getSideOutput(Rejections.TAG)).isNull();
        }
    }

    /**
     * Multiplies by ten, and fails a batch that holds a negative number; a batch whose first record
     * is held ({@link #hold}) waits until the test releases it. Records the first record of every
     * call, in the order the calls began.
     */
    private static final class Gated extends BatchFunction<Integer, Integer> {
        final java.util.Map<Integer, java.util.concurrent.CountDownLatch> gates =
                new java.util.concurrent.ConcurrentHashMap<>();
        final List<Integer> began = new CopyOnWriteArrayList<>();
        /** The results handed on, in order (the task thread's). */
        final List<Integer> handedOn = new CopyOnWriteArrayList<>();

        void hold(int... firsts) {
            for (int x : firsts) {
                gates.put(x, new java.util.concurrent.CountDownLatch(1));
            }
        }

        void release(int first) {
            gates.get(first).countDown();
        }

        @Override
        public List<Integer> apply(List<Integer> batch) throws InterruptedException {
            began.add(batch.get(0));
            var gate = gates.get(batch.get(0));
            if (gate != null) {
                gate.await();
            }
            if (batch.stream().anyMatch(x -> x < 0)) {
                throw new IllegalArgumentException("negative input");
            }
            return batch.stream().map(x -> x * 10).toList();
        }

        @Override
        public void handedOn(Integer result) {
            handedOn.add(result);
        }
    }

    private static final RecordRejector<Integer> REJECT = (Integer x, String why) ->
            new io.sluice.schemas.Rejection("test", io.sluice.schemas.RejectReason.STAGE_FAILED, why, "r" + x,
                    null, null, null, 0, 0L, 0L);

    private static OneInputStreamOperatorTestHarness<Integer, Integer> twoAtOnce(Gated fn, int maxBatch,
            long maxWaitMs) throws Exception {
        return harness(new MicroBatchOperator.Factory<>("test", fn, maxBatch, Duration.ofMillis(maxWaitMs), 2, REJECT));
    }

    /** Waits until {@code fn} has begun {@code calls} calls (they begin on the operator's threads). */
    private static void awaitCalls(Gated fn, int calls) throws InterruptedException {
        await(() -> fn.began.size() >= calls, () -> fn.began.size() + " calls begun, not " + calls);
    }

    /** Waits up to 30 s for {@code done}, which the operator's threads bring about. */
    private static void await(java.util.function.BooleanSupplier done, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what.get()).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    void withTwoBatchesAtOnceARecordThatFindsOneRunningStartsAtOnceDespiteTheLinger() throws Exception {
        Gated fn = new Gated();
        fn.hold(1);
        try (var h = twoAtOnce(fn, 32, 60_000)) {
            h.processElement(new StreamRecord<>(1, 100L));
            h.setProcessingTime(60_000); // the idle function's linger ends
            awaitCalls(fn, 1);
            h.processElement(new StreamRecord<>(2, 200L)); // finds 1 running: no linger
            awaitCalls(fn, 2);
            assertThat(fn.began).containsExactly(1, 2);
            awaitBatch(h); // 2 ends first: its result waits for 1's
            assertThat(h.extractOutputValues()).isEmpty();
            fn.release(1);
            awaitBatch(h);
            assertThat(h.extractOutputStreamRecords()).containsExactly(new StreamRecord<>(10, 100L),
                    new StreamRecord<>(20, 200L));
        }
    }

    @Test
    void aBatchKeepsItsSlotUntilItsResultsAreOut() throws Exception {
        Gated fn = new Gated();
        fn.hold(1);
        try (var h = twoAtOnce(fn, 32, 0)) {
            var operator = (MicroBatchOperator<Integer, Integer>) h.getOperator();
            h.processElement(new StreamRecord<>(1));
            awaitCalls(fn, 1); // so that the calls begin in a known order
            h.processElement(new StreamRecord<>(2));
            awaitCalls(fn, 2);
            h.processElement(new StreamRecord<>(3));
            h.processElement(new StreamRecord<>(4));
            awaitBatch(h); // 2 is done but not out, so its slot is not free: 3, 4 and 5 wait
            h.processElement(new StreamRecord<>(5));
            assertThat(operator.startedBatches()).isEqualTo(2);
            assertThat(operator.held()).isEqualTo(5);
            fn.release(1);
            awaitBatch(h); // 1 and 2 out; 3, 4 and 5 start together
            awaitCalls(fn, 3);
            awaitBatch(h);
            assertThat(fn.began).containsExactly(1, 2, 3);
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30, 40, 50);
            assertThat(operator.held()).isZero();
        }
    }

    @Test
    void aCheckpointKeepsEveryStartedBatchInOrderThenTheWaitingRecords() throws Exception {
        Gated fn = new Gated();
        fn.hold(1);
        OperatorSubtaskState checkpoint;
        try (var h = twoAtOnce(fn, 32, 0)) {
            h.processElement(new StreamRecord<>(1, 100L));
            h.processElement(new StreamRecord<>(2, 200L));
            awaitCalls(fn, 2);
            awaitBatch(h); // 2 done, not out
            h.processElement(new StreamRecord<>(3, 300L)); // waits for a slot
            checkpoint = h.snapshot(1L, 0L);
            fn.release(1);
        }
        assertRestoredRunsOneToThreeInOneBatch(checkpoint);
    }

    @Test
    void aRecordThatFailsBesideARunningBatchIsRejectedInItsPlaceInTheOrder() throws Exception {
        Gated fn = new Gated();
        fn.hold(1);
        try (var h = twoAtOnce(fn, 32, 0)) {
            h.processElement(new StreamRecord<>(1, 100L));
            h.processElement(new StreamRecord<>(-2, 200L)); // fails, and fails alone, while 1 runs
            awaitCalls(fn, 3);
            awaitBatch(h);
            assertThat(h.getSideOutput(Rejections.TAG)).as("not before 1 is out").isNull();
            fn.release(1);
            awaitBatch(h);
            h.processElement(new StreamRecord<>(3, 300L));
            awaitBatch(h);
            assertThat(h.extractOutputValues()).containsExactly(10, 30);
            assertThat(h.getSideOutput(Rejections.TAG)).singleElement().satisfies(r -> {
                assertThat(r.getValue().requestId()).isEqualTo("r-2");
                assertThat(r.getTimestamp()).isEqualTo(200L);
            });
        }
    }

    @Test
    void theFunctionHearsOfEachResultAsItLeavesNotWhenItsCallReturns() throws Exception {
        Gated fn = new Gated();
        fn.hold(1);
        try (var h = twoAtOnce(fn, 32, 0)) {
            h.processElement(new StreamRecord<>(1, 100L));
            awaitCalls(fn, 1);
            h.processElement(new StreamRecord<>(-2, 200L)); // rejected: the function does not hear of it
            awaitCalls(fn, 3); // its batch, then itself alone
            awaitBatch(h);
            fn.release(1);
            await(() -> h.getTaskMailbox().hasMail(), () -> "1's call returned"); // its mail is in
            assertThat(fn.handedOn).as("not when 1's call returns").isEmpty();
            awaitBatch(h);
            assertThat(fn.handedOn).containsExactly(10);
            h.processElement(new StreamRecord<>(3, 300L));
            awaitBatch(h);
            assertThat(fn.handedOn).containsExactly(10, 30);
            assertThat(h.extractOutputValues()).isEqualTo(fn.handedOn);
            assertThat(h.getSideOutput(Rejections.TAG)).hasSize(1);
        }
    }
}
