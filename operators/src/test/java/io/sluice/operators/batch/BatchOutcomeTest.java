package io.sluice.operators.batch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** What one batch call comes to: results, records rejected alone, or a failover; without Flink. */
class BatchOutcomeTest {

    /** Upper-cases its texts, and throws what {@code failure} gives for a batch holding "bad". */
    private static final class Upper extends BatchFunction<String, String> {
        private static final long serialVersionUID = 1L;
        final List<List<String>> calls = new ArrayList<>();
        private final Function<List<String>, Throwable> failure;

        Upper(Function<List<String>, Throwable> failure) {
            this.failure = failure;
        }

        @Override
        public List<String> apply(List<String> batch) throws Exception {
            calls.add(batch);
            if (batch.contains("bad")) {
                Throwable t = failure.apply(batch);
                if (t instanceof Exception e) {
                    throw e;
                }
                throw (Error) t;
            }
            return batch.stream().map(String::toUpperCase).toList();
        }
    }

    @Test
    void aBatchThatSucceedsHasAResultPerRecordInOrder() {
        BatchOutcome<String> outcome = BatchOutcome.of(new Upper(b -> null), List.of("a", "b"), true, "embed");

        assertThat(outcome.fatal()).isNull();
        assertThat(outcome.recordByRecord()).isFalse();
        assertThat(List.of(outcome.result(0), outcome.result(1))).containsExactly("A", "B");
        assertThat(outcome.failure(0)).isNull();
    }

    @Test
    void aBatchThatFailsBecauseOfARecordIsRunRecordByRecordAndOnlyThatRecordFails() {
        Upper function = new Upper(b -> new IllegalArgumentException("cannot embed " + b));

        BatchOutcome<String> outcome = BatchOutcome.of(function, List.of("a", "bad", "c"), true, "embed");

        assertThat(outcome.fatal()).isNull();
        assertThat(outcome.recordByRecord()).isTrue();
        assertThat(function.calls).containsExactly(List.of("a", "bad", "c"), List.of("a"), List.of("bad"), List.of("c"));
        assertThat(outcome.result(0)).isEqualTo("A");
        assertThat(outcome.result(1)).isNull();
        assertThat(outcome.failure(1)).isEqualTo("IllegalArgumentException: cannot embed [bad]");
        assertThat(outcome.result(2)).isEqualTo("C");
        assertThat(outcome.failure(2)).isNull();
    }

    @Test
    void aFailureOfTheEnvironmentFailsTheJobOverWithoutARetry() {
        Upper function = new Upper(b -> new IOException("connection reset"));

        BatchOutcome<String> outcome = BatchOutcome.of(function, List.of("a", "bad"), true, "embed");

        assertThat(outcome.fatal()).isInstanceOf(IOException.class);
        assertThat(function.calls).hasSize(1);
    }

    @Test
    void aStageThatMayNotRejectRecordsFailsOverForAnyFailure() {
        Upper function = new Upper(b -> new IllegalArgumentException("cannot embed"));

        BatchOutcome<String> outcome = BatchOutcome.of(function, List.of("a", "bad"), false, "embed");

        assertThat(outcome.fatal()).isInstanceOf(IllegalArgumentException.class);
        assertThat(function.calls).hasSize(1);
    }

    @Test
    void anEnvironmentThatFailsOnTheRetryIsNotBlamedOnTheRecord() {
        Upper function = new Upper(b -> b.size() > 1 ? new IllegalArgumentException("cannot embed")
                : new IOException("connection reset"));

        BatchOutcome<String> outcome = BatchOutcome.of(function, List.of("a", "bad"), true, "embed");

        assertThat(outcome.fatal()).isInstanceOf(IOException.class);
    }

    @Test
    void anErrorOnTheRetryFailsTheJobOverInsteadOfEscapingTheBatchThread() {
        Upper function = new Upper(b -> b.size() > 1 ? new IllegalArgumentException("cannot embed")
                : new NoClassDefFoundError("ai/onnxruntime/OrtSession"));

        BatchOutcome<String> outcome = BatchOutcome.of(function, List.of("a", "bad"), true, "embed");

        assertThat(outcome.fatal()).isInstanceOf(NoClassDefFoundError.class);
    }

    @Test
    void aFunctionThatBreaksItsContractFailsTheJobOverNamingTheStage() {
        BatchFunction<String, String> shortOne = new BatchFunction<>() {
            private static final long serialVersionUID = 1L;

            @Override
            public List<String> apply(List<String> batch) {
                return batch.subList(1, batch.size());
            }
        };

        BatchOutcome<String> outcome = BatchOutcome.of(shortOne, List.of("a", "b"), true, "embed");

        assertThat(outcome.fatal()).isInstanceOf(IllegalStateException.class)
                .hasMessage("Batch function of stage embed returned 1 results for 2 inputs");
    }
}
