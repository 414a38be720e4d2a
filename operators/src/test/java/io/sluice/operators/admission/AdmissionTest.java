package io.sluice.operators.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.tenants.RateLimit;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.junit.jupiter.api.Test;

import java.util.List;

class AdmissionTest {

    private static final long T0 = 1_700_000_000_000L;

    private final Admission admission = new Admission(new TenantRegistry(List.of(
            Tenant.withDefaults("acme").withRateLimit(new RateLimit(120, 2)),
            Tenant.withDefaults("open"))));

    private static ChatRequest request(String tenant, String id, long eventTime) {
        return new ChatRequest(id, tenant, "c-1", "hello", 5, 1024, eventTime, 3, 42L, "extractive", 7);
    }

    @Test
    void aTenantWithoutALimitIsAdmittedWithoutState() {
        assertThat(admission.limits("open")).isFalse();
        Admission.Decision d = admission.admit(request("open", "r-1", T0), null);
        assertThat(d.admitted()).isTrue();
        assertThat(d.bucket()).isNull();
    }

    @Test
    void aRefusalIsTypedAndSaysWhenToComeBack() {
        assertThat(admission.limits("acme")).isTrue();
        Admission.Decision a = admission.admit(request("acme", "r-1", T0), null);
        Admission.Decision b = admission.admit(request("acme", "r-2", T0 + 100), a.bucket());
        Admission.Decision c = admission.admit(request("acme", "r-3", T0 + 200), b.bucket());
        assertThat(a.admitted()).isTrue();
        assertThat(b.admitted()).isTrue();
        assertThat(c.admitted()).isFalse();
        assertThat(c.rejection().reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(c.rejection().stage()).isEqualTo(Admission.STAGE);
        assertThat(c.rejection().requestId()).isEqualTo("r-3");
        assertThat(c.rejection().replyPartition()).isEqualTo(7);
        // 120 per minute: one every 500 ms; 200 ms have refilled 0.4 of a request by T0 + 200.
        assertThat(c.rejection().retryAt()).isEqualTo(T0 + 500);
        assertThat(c.rejection().retryAfterMillis()).isEqualTo(300);
        assertThat(c.rejection().detail()).contains("120 requests per minute", "burst 2",
                java.time.Instant.ofEpochMilli(T0 + 500).toString());
        assertThat(admission.admit(request("acme", "r-3", T0 + 500), c.bucket()).admitted()).isTrue();
    }
}
