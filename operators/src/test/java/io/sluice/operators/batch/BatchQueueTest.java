package io.sluice.operators.batch;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** When the next batch may start. */
class BatchQueueTest {

    private static List<Integer> values(List<BatchQueue.Pending<Integer>> batch) {
        return batch == null ? null : batch.stream().map(BatchQueue.Pending::value).toList();
    }

    private static void add(BatchQueue<Integer> q, int value, long now) {
        q.add(value, BatchQueue.NO_TIMESTAMP, 0L, now);
    }

    @Test
    void withoutLingerARecordStartsAsSoonAsNothingRuns() {
        BatchQueue<Integer> q = new BatchQueue<>(4, 0);
        add(q, 1, 0);
        assertThat(values(q.next(0))).containsExactly(1);
        add(q, 2, 1);
        add(q, 3, 2);
        assertThat(q.next(100)).as("one batch at a time").isNull();
        q.finished();
        assertThat(values(q.next(3))).containsExactly(2, 3);
        q.finished();
        assertThat(q.isDrained()).isTrue();
    }

    @Test
    void anIdleQueueLingersUntilTheOldestRecordsDeadlineOrAFullBatch() {
        BatchQueue<Integer> q = new BatchQueue<>(3, 10);
        add(q, 1, 100);
        add(q, 2, 105);
        assertThat(q.lingerDeadline()).isEqualTo(110);
        assertThat(q.next(109)).isNull();
        assertThat(values(q.next(110))).containsExactly(1, 2);
        q.finished();
        add(q, 3, 200);
        add(q, 4, 201);
        add(q, 5, 202);
        assertThat(values(q.next(202))).as("full").containsExactly(3, 4, 5);
    }

    @Test
    void recordsThatWaitedForARunningBatchDoNotLingerAfterIt() {
        BatchQueue<Integer> q = new BatchQueue<>(8, 1_000);
        add(q, 1, 0);
        assertThat(values(q.nextNow())).containsExactly(1);
        add(q, 2, 5);
        q.finished();
        assertThat(values(q.next(6))).containsExactly(2);
    }

    @Test
    void nextNowIgnoresTheLingerButNotTheRunningBatch() {
        BatchQueue<Integer> q = new BatchQueue<>(8, 1_000);
        assertThat(q.nextNow()).isNull();
        add(q, 1, 0);
        assertThat(values(q.nextNow())).containsExactly(1);
        add(q, 2, 1);
        assertThat(q.nextNow()).isNull();
        assertThat(q.isDrained()).isFalse();
    }

    @Test
    void aBatchNeverHoldsMoreThanTheBatchSize() {
        BatchQueue<Integer> q = new BatchQueue<>(2, 0);
        add(q, 0, 0);
        assertThat(values(q.next(0))).containsExactly(0);
        for (int i = 1; i <= 5; i++) {
            add(q, i, i);
        }
        q.finished();
        assertThat(values(q.next(6))).containsExactly(1, 2);
        q.finished();
        assertThat(values(q.next(7))).containsExactly(3, 4);
        q.finished();
        assertThat(values(q.next(8))).containsExactly(5);
    }

    @Test
    void withTwoSlotsARecordThatFindsABatchRunningStartsAtOnceDespiteTheLinger() {
        BatchQueue<Integer> q = new BatchQueue<>(4, 1_000, 2);
        add(q, 1, 0);
        assertThat(q.next(0)).as("idle: lingers").isNull();
        assertThat(values(q.next(1_000))).containsExactly(1);
        add(q, 2, 1_001);
        assertThat(values(q.next(1_001))).as("second slot").containsExactly(2);
        assertThat(q.isBusy()).isTrue();
        add(q, 3, 1_002);
        add(q, 4, 1_003);
        assertThat(q.next(5_000)).as("both slots busy").isNull();
        assertThat(q.nextNow()).isNull();
        q.finished();
        assertThat(values(q.next(1_004))).containsExactly(3, 4);
        q.finished();
        q.finished();
        assertThat(q.isDrained()).isTrue();
        add(q, 5, 2_000);
        assertThat(q.next(2_000)).as("idle again: lingers again").isNull();
    }

    @Test
    void recordsBeyondOneBatchFillTheFreeSlots() {
        BatchQueue<Integer> q = new BatchQueue<>(2, 1_000, 3);
        for (int i = 1; i <= 5; i++) {
            add(q, i, 0);
        }
        assertThat(values(q.next(0))).as("full").containsExactly(1, 2);
        assertThat(values(q.next(0))).containsExactly(3, 4);
        assertThat(values(q.next(0))).containsExactly(5);
        assertThat(q.isBusy()).isTrue();
    }

    @Test
    void finishingWithoutARunningBatchIsABug() {
        BatchQueue<Integer> q = new BatchQueue<>(2, 0);
        assertThatThrownBy(q::finished).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new BatchQueue<Integer>(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BatchQueue<Integer>(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
