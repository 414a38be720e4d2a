package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GatewayUnderTestTest {

    /** The child JVM's report crosses a pipe as one line: every figure must come back as sent. */
    @Test
    void aReportSurvivesItsLine() {
        var report = new GatewayUnderTest.Report(0.5, 4.25, 0.75, 6.5, 1.25, 9.0, 3, 28.0, 2.5, 19.0);
        assertThat(GatewayUnderTest.Report.parse(report.line())).isEqualTo(report);
        var empty = new GatewayUnderTest.Report(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, 0, 0, Double.NaN, Double.NaN);
        assertThat(GatewayUnderTest.Report.parse(empty.line())).isEqualTo(empty);
        assertThatThrownBy(() -> GatewayUnderTest.Report.parse("unknown command x"))
                .hasMessageContaining("not a report");
    }
}
