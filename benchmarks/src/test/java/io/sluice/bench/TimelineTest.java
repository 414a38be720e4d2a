package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimelineTest {

    @Test
    void saysNothingOfAnIntervalItsSamplesDoNotCover() throws Exception {
        try (Timeline timeline = Timeline.start(10, null)) {
            double now = System.currentTimeMillis();
            // Before its first sample: not covered, whatever the machine.
            assertThat(timeline.over(now - 60_000, now - 59_000)).isNull();
        }
    }
}
