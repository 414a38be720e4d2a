package io.sluice.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServingWarmUpTest {

    private static CpuUse.Spent slice(double jitMillis) {
        return new CpuUse.Spent(10_000, 15_000, 16_000, jitMillis);
    }

    @Test
    void warmsOnWhileTheJitCompilesForMoreThanItsShareOfASlice() {
        assertThat(ServingLatencyBenchmark.warmsOn(slice(1_100), 40, 0.05, 150)).isTrue();
        assertThat(ServingLatencyBenchmark.warmsOn(slice(501), 40, 0.05, 150)).isTrue();
        assertThat(ServingLatencyBenchmark.warmsOn(slice(500), 40, 0.05, 150)).isFalse();
        assertThat(ServingLatencyBenchmark.warmsOn(slice(40), 40, 0.05, 150)).isFalse();
    }

    @Test
    void stopsWhereAnotherSliceWouldPassTheLongestWarmUp() {
        assertThat(ServingLatencyBenchmark.warmsOn(slice(5_000), 140, 0.05, 150)).isTrue();
        assertThat(ServingLatencyBenchmark.warmsOn(slice(5_000), 141, 0.05, 150)).isFalse();
        // --warmup-max-seconds at or below --warmup-seconds: a fixed warm-up.
        assertThat(ServingLatencyBenchmark.warmsOn(slice(5_000), 40, 0.05, 40)).isFalse();
    }

    @Test
    void aJvmThatDoesNotReportItsCompileTimeGetsTheFixedWarmUp() {
        assertThat(ServingLatencyBenchmark.warmsOn(slice(Double.NaN), 40, 0.05, 150)).isFalse();
    }
}
