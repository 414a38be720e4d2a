package io.sluice.schemas.tenants;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LimitsUpdateTest {

    @Test
    void anUpdateIsReadFromItsTopicFormAndWrittenBack() {
        LimitsUpdate u = LimitsUpdate.parse("{\"tenantId\": \"acme\", \"version\": 7, \"effectiveAt\": "
                + "\"2026-12-02T12:00:00Z\", \"limits\": {\"rateLimit\": {\"requestsPerMinute\": 600, \"burst\": 60}, "
                + "\"tokenBudget\": {\"tokensPerDay\": 2000000}, \"maxInFlight\": 4}}");
        assertThat(u.tenantId()).isEqualTo("acme");
        assertThat(u.version()).isEqualTo(7);
        assertThat(u.effectiveAt()).isEqualTo(Instant.parse("2026-12-02T12:00:00Z").toEpochMilli());
        assertThat(u.limits().rate()).isEqualTo(new RateLimit(600, 60));
        assertThat(u.limits().tokens().tokensPerDay()).isEqualTo(2_000_000);
        assertThat(u.limits().maxInFlight()).isEqualTo(4);
        assertThat(LimitsUpdate.parse(u.toJson())).isEqualTo(u);
        assertThat(LimitsUpdate.parse("{\"tenantId\": \"acme\", \"version\": 8, \"effectiveAt\": "
                + "\"2026-12-02T12:00:00Z\", \"limits\": {}}").limits().any()).as("{} lifts every limit").isFalse();
    }

    @Test
    void whatCannotBeAppliedIsRefusedWithTheReason() {
        String ok = "\"tenantId\": \"acme\", \"effectiveAt\": \"2026-12-02T12:00:00Z\"";
        assertThatThrownBy(() -> LimitsUpdate.parse("{" + ok + ", \"version\": 1.5, \"limits\": {}}"))
                .hasMessageContaining("'version'");
        assertThatThrownBy(() -> LimitsUpdate.parse("{" + ok + ", \"version\": 0, \"limits\": {}}"))
                .hasMessageContaining("'version'");
        assertThatThrownBy(() -> LimitsUpdate.parse("{\"tenantId\": \"acme\", \"version\": 1, \"effectiveAt\": "
                + "\"tomorrow\", \"limits\": {}}")).hasMessageContaining("'effectiveAt'");
        assertThatThrownBy(() -> LimitsUpdate.parse("{\"version\": 1, \"effectiveAt\": \"2026-12-02T12:00:00Z\", "
                + "\"limits\": {}}")).hasMessageContaining("'tenantId'");
        assertThatThrownBy(() -> LimitsUpdate.parse("{" + ok + ", \"version\": 1, \"limits\": {\"rateLimit\": "
                + "{\"burst\": 3}}}")).hasMessageContaining("'rateLimit'");
        assertThatThrownBy(() -> LimitsUpdate.parse("{" + ok + ", \"version\": 1}")).hasMessageContaining("limits");
        assertThatThrownBy(() -> LimitsUpdate.parse("not json")).hasMessageContaining("not JSON");
    }
}
