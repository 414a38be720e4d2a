package io.sluice.operators.flink;

import io.sluice.operators.batch.BatchFunction;

import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Operator harness tests of dynamic micro-batching. */
class MicroBatchOperatorTest {

    /** Multiplies by ten and records the size of every batch it was given. */
    private static final class TimesTen extends BatchFunction<Integer, Integer> {
        final List<Integer> batchSizes = new ArrayList<>();

        @Override
        public List<Integer> apply(List<Integer> batch) {
            batchSizes.add(batch.size());
            return batch.stream().map(x -> x * 10).toList();
        }
    }

    private static OneInputStreamOperatorTestHarness<Integer, Integer> harness(TimesTen fn, int maxBatch, long maxWaitMs)
            throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(
                new MicroBatchOperator<>("test", fn, maxBatch, Duration.ofMillis(maxWaitMs)));
        h.setProcessingTime(0);
        h.open();
        return h;
    }

    @Test
    void aFullBatchRunsAtOnceInInputOrderKeepingTimestamps() throws Exception {
        TimesTen fn = new TimesTen();
        try (var h = harness(fn, 3, 1000)) {
            h.processElement(new StreamRecord<>(1, 100L));
            h.processElement(new StreamRecord<>(2, 200L));
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(new StreamRecord<>(3, 300L));
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30);
            assertThat(h.extractOutputStreamRecords()).extracting(StreamRecord::getTimestamp).containsExactly(100L, 200L, 300L);
            assertThat(fn.batchSizes).containsExactly(3);
        }
    }

    @Test
    void aPartialBatchRunsWhenItsOldestRecordHasWaitedMaxWait() throws Exception {
        TimesTen fn = new TimesTen();
        try (var h = harness(fn, 10, 50)) {
            h.processElement(new StreamRecord<>(1));
            h.setProcessingTime(30);
            h.processElement(new StreamRecord<>(2));
            h.setProcessingTime(49);
            assertThat(h.extractOutputValues()).isEmpty();
            h.setProcessingTime(50);
            assertThat(h.extractOutputValues()).containsExactly(10, 20);
            assertThat(fn.batchSizes).containsExactly(2);
        }
    }

    @Test
    void aStaleTimerDoesNotCutTheNextBatchShort() throws Exception {
        TimesTen fn = new TimesTen();
        try (var h = harness(fn, 2, 50)) {
            h.processElement(new StreamRecord<>(1)); // timer at 50
            h.processElement(new StreamRecord<>(2)); // full: flushed now
            h.setProcessingTime(40);
            h.processElement(new StreamRecord<>(3)); // its own deadline is 90
            h.setProcessingTime(50);                  // the first batch's timer fires
            assertThat(fn.batchSizes).containsExactly(2);
            h.setProcessingTime(90);
            assertThat(fn.batchSizes).containsExactly(2, 1);
            assertThat(h.extractOutputValues()).containsExactly(10, 20, 30);
        }
    }

    @Test
    void nothingStaysBufferedAcrossACheckpointOrTheEndOfInput() throws Exception {
        TimesTen fn = new TimesTen();
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
    void zeroWaitRunsEveryRecordAlone() throws Exception {
        TimesTen fn = new TimesTen();
        try (var h = harness(fn, 10, 0)) {
            h.processElement(new StreamRecord<>(1));
            h.processElement(new StreamRecord<>(2));
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
        var h = new OneInputStreamOperatorTestHarness<>(new MicroBatchOperator<>("test", new RefusesNegatives(false), 4,
                Duration.ofMillis(1000), (Integer x, String why) -> new io.sluice.schemas.Rejection("test",
                        io.sluice.schemas.RejectReason.STAGE_FAILED, why, "r" + x, null, null, null, 0, 0L, 0L)));
        h.setProcessingTime(0);
        h.open();
        try (h) {
            for (int x : new int[] {1, -2, 3, 4}) {
                h.processElement(new StreamRecord<>(x, 100L + x));
            }
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
        var h = new OneInputStreamOperatorTestHarness<>(new MicroBatchOperator<>("test", new RefusesNegatives(true), 2,
                Duration.ofMillis(1000), (Integer x, String why) -> null));
        h.setProcessingTime(0);
        h.open();
        try (h) {
            h.processElement(new StreamRecord<>(1));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.processElement(new StreamRecord<>(-1)))
                    .isInstanceOf(java.io.UncheckedIOException.class);
            assertThat(h.getSideOutput(Rejections.TAG)).isNull();
        }
    }
}
