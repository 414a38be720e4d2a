package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GatewayLatencyTest {

    @Test
    void percentilesAreNearestRankOverTheKeptSamples() {
        GatewayLatency.Samples samples = new GatewayLatency().inbound();
        assertThat(samples.percentileMillis(50)).isNaN();
        for (int ms = 100; ms >= 1; ms--) {
            samples.record(ms * 1_000_000L);
        }
        assertThat(samples.percentileMillis(50)).isEqualTo(50.0);
        assertThat(samples.percentileMillis(99)).isEqualTo(99.0);
        assertThat(samples.percentileMillis(100)).isEqualTo(100.0);
        assertThat(samples.count()).isEqualTo(100);
    }

    @Test
    void aFullRingKeepsTheMostRecentSamples() {
        GatewayLatency.Samples samples = new GatewayLatency().outbound();
        for (int i = 0; i < GatewayLatency.CAPACITY; i++) {
            samples.record(1_000_000_000L); // an old, slow second
        }
        for (int i = 0; i < GatewayLatency.CAPACITY; i++) {
            samples.record(1_000_000L);
        }
        assertThat(samples.percentileMillis(100)).isEqualTo(1.0);
    }

    @Test
    void clearForgetsEveryPart() {
        GatewayLatency latency = new GatewayLatency();
        latency.inbound().record(1);
        latency.outbound().record(2);
        latency.added().record(3);
        latency.clear();
        assertThat(latency.inbound().count()).isZero();
        assertThat(latency.outbound().count()).isZero();
        assertThat(latency.added().count()).isZero();
        assertThat(latency.added().percentileMillis(99)).isNaN();
    }
}
