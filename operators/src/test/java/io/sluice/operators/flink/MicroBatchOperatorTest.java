package io.sluice.operators.flink;

import io.sluice.operators.batch.BatchFunction;
import io.sluice.operators.batch.RecordRejector;

import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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

    private static <T> OneInputStreamOperatorTestHarness<Integer, Integer> harness(BatchFunction<Integer, Integer> fn,
            int maxBatch, long maxWaitMs, RecordRejector<Integer> rejector) throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(
                new MicroBatchOperator.Factory<>("test", fn, maxBatch, Duration.ofMillis(maxWaitMs), rejector));
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
    void nothingStaysBufferedAcrossACheckpointOrTheEndOfInput() throws Exception {
        TimesTen fn = new TimesTen(false);
        try (var h = harness(fn, 10, 60_000)) {
            h.processElement(new StreamRecord<>(1));
            h.prepareSnapshotPreBarrier(1L);
            assertThat(h.extractOutputValues()).containsExactly(10);
            h.processElement(new StreamRecord<>(2));
            h.endInput();
            assertThat(h.extractOutputValues()).containsExactly(10, 20);
            assertThat(fn.batchSizes).containsExactly(1, 1);
        }
    }

    @Test
    void aCheckpointWaitsForTheRunningBatchAndTheRecordsBehindIt() throws Exception {
        TimesTen fn = new TimesTen(true);
        try (var h = harness(fn, 10, 0)) {
            h.processElement(new StreamRecord<>(1));
            h.processElement(new StreamRecord<>(2));
            fn.gate.release(2);
            h.prepareSnapshotPreBarrier(1L);
            assertThat(h.extractOutputValues()).containsExactly(10, 20);
            assertThat(fn.batchSizes).containsExactly(1, 1);
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
}
