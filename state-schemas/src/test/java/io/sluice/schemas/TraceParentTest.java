package io.sluice.schemas;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TraceParentTest {

    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void aValidHeaderIsKeptAndTakenApart() {
        assertThat(TraceParent.valid(VALID)).isEqualTo(VALID);
        assertThat(TraceParent.traceId(VALID)).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(TraceParent.spanId(VALID)).isEqualTo("00f067aa0ba902b7");
        assertThat(TraceParent.sampled(VALID)).isTrue();
        assertThat(TraceParent.sampled(VALID.replace("-01", "-00"))).isFalse();
        assertThat(TraceParent.of("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", true)).isEqualTo(VALID);
    }

    @Test
    void anythingTheSpecificationRefusesIsIgnored() {
        assertThat(TraceParent.valid(null)).isNull();
        assertThat(TraceParent.valid("")).isNull();
        assertThat(TraceParent.valid(VALID.toUpperCase())).as("upper-case hex").isNull();
        assertThat(TraceParent.valid("ff" + VALID.substring(2))).as("version ff").isNull();
        assertThat(TraceParent.valid("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).as("zero trace").isNull();
        assertThat(TraceParent.valid("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")).as("zero parent").isNull();
        assertThat(TraceParent.valid(VALID + "-extra")).as("version 00 with more").isNull();
        assertThat(TraceParent.valid(VALID.replace('-', '_'))).isNull();
        assertThat(TraceParent.valid(VALID.substring(0, 54))).isNull();
        assertThat(TraceParent.valid("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")).isNull();
        assertThatThrownBy(() -> TraceParent.of("xyz", "00f067aa0ba902b7", true)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLaterVersionKeepsTheFieldsItShares() {
        assertThat(TraceParent.valid("01" + VALID.substring(2) + "-what-comes-next")).isEqualTo(VALID);
        assertThat(TraceParent.valid("01" + VALID.substring(2) + "x")).isNull();
    }

    @Test
    void aDerivedTraceIdDependsOnThePositionOnly() {
        String id = TraceParent.derivedTraceId(1, 42L);
        assertThat(id).hasSize(32).matches("[0-9a-f]+").isEqualTo(TraceParent.derivedTraceId(1, 42L));
        assertThat(TraceParent.derivedTraceId(1, 43L)).isNotEqualTo(id);
        assertThat(TraceParent.derivedTraceId(0, 42L)).isNotEqualTo(id);
    }
}
