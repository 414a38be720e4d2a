package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TimelineTest {

    @Test
    void loadIsTheShareOfTicksBusyAndStolenTimesTheCores() {
        var first = new Timeline.Sample(1_000, 500, 20, 2_000, 100);
        // 20 ticks of 2 CPUs: 15 busy, 4 of them stolen; the JIT compiled 30 ms meanwhile.
        var last = new Timeline.Sample(1_100, 515, 24, 2_020, 130);
        Timeline.Load load = Timeline.load(first, last, 2);
        assertThat(load.coresBusy()).isCloseTo(1.5, within(1e-9));
        assertThat(load.coresStolen()).isCloseTo(0.4, within(1e-9));
        assertThat(load.jitMillis()).isEqualTo(30);
    }

    @Test
    void stealIsTheEighthNumberOfTheTotalLine() {
        assertThat(Timeline.steal("cpu  100 2 30 400 5 6 7 81 0 0")).isEqualTo(81);
    }

    @Test
    void saysNothingOfAnIntervalItsSamplesDoNotCover() throws Exception {
        try (Timeline timeline = Timeline.start(10)) {
            double now = System.currentTimeMillis();
            // Before its first sample: not covered, whatever the machine.
            assertThat(timeline.over(now - 60_000, now - 59_000)).isNull();
        }
    }
}
