package io.sluice.model;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SharedModelsTest {

    private static final class Counted implements AutoCloseable {
        final AtomicInteger closes;

        Counted(AtomicInteger closes) {
            this.closes = closes;
        }

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    @Test
    void loadsOnceAndClosesWithTheLastUser() {
        AtomicInteger loads = new AtomicInteger();
        AtomicInteger closes = new AtomicInteger();
        var first = SharedModels.acquire("test:a", () -> {
            loads.incrementAndGet();
            return new Counted(closes);
        });
        var second = SharedModels.acquire("test:a", () -> {
            loads.incrementAndGet();
            return new Counted(closes);
        });
        assertThat(second.get()).isSameAs(first.get());
        assertThat(loads).hasValue(1);
        assertThat(SharedModels.users("test:a")).isEqualTo(2);

        first.close();
        first.close(); // idempotent
        assertThat(closes).hasValue(0);
        assertThat(SharedModels.users("test:a")).isEqualTo(1);
        second.close();
        assertThat(closes).hasValue(1);
        assertThat(SharedModels.users("test:a")).isZero();
        assertThatThrownBy(first::get).hasMessageContaining("released");

        // After the last user, the next one loads afresh.
        try (var third = SharedModels.acquire("test:a", () -> new Counted(closes))) {
            assertThat(SharedModels.users("test:a")).isEqualTo(1);
        }
    }
}
