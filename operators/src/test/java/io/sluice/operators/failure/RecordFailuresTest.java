package io.sluice.operators.failure;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordFailuresTest {

    @Test
    void failuresOfTheEnvironmentAreTheEnvironments() {
        assertThat(RecordFailures.isEnvironmental(new UncheckedIOException(new IOException("disk")))).isTrue();
        assertThat(RecordFailures.isEnvironmental(new RuntimeException("wrapped", new SQLException("gone")))).isTrue();
        assertThat(RecordFailures.isEnvironmental(new org.apache.lucene.store.AlreadyClosedException("closed"))).isTrue();
        assertThat(RecordFailures.isEnvironmental(new OutOfMemoryError())).isTrue();
        assertThat(RecordFailures.isEnvironmental(new EnvironmentFailure("session broken", null))).isTrue();
    }

    @Test
    void everythingElseIsTheRecords() {
        assertThat(RecordFailures.isEnvironmental(new IllegalArgumentException("too many clauses"))).isFalse();
        assertThat(RecordFailures.isEnvironmental(new IllegalStateException("bad state", new ArithmeticException())))
                .isFalse();
        assertThat(RecordFailures.isEnvironmental(new StackOverflowError())).isFalse();
    }

    @Test
    void aRecordsFailureIsDescribedBoundedAndAnEnvironmentsIsThrownOn() {
        String description = RecordFailures.describeOrRethrow(new IllegalArgumentException("x".repeat(5_000)));
        assertThat(description).startsWith("IllegalArgumentException: xxx").hasSizeLessThanOrEqualTo(300);
        UncheckedIOException io = new UncheckedIOException(new IOException("disk"));
        assertThatThrownBy(() -> RecordFailures.describeOrRethrow(io)).isSameAs(io);
    }
}
