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
        Admission.Decision d = admission.admit(request("open", "r-1", T0), null, null);
        assertThat(d.admitted()).isTrue();
        assertThat(d.tenantBucket()).isNull();
        assertThat(d.keyBucket()).isNull();
    }

    @Test
    void aRefusalIsTypedAndSaysWhenToComeBack() {
        assertThat(admission.limits("acme")).isTrue();
        Admission.Decision a = admission.admit(request("acme", "r-1", T0), null, null);
        Admission.Decision b = admission.admit(request("acme", "r-2", T0 + 100), a.tenantBucket(), null);
        Admission.Decision c = admission.admit(request("acme", "r-3", T0 + 200), b.tenantBucket(), null);
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
        assertThat(admission.admit(request("acme", "r-3", T0 + 500), c.tenantBucket(), null).admitted()).isTrue();
    }

    private static ChatRequest keyed(String tenant, String id, String key, long eventTime) {
        return new ChatRequest(id, tenant, "c-1", "hello", 5, 1024, eventTime, 3, 42L, "extractive", -1, null, null,
                key);
    }

    @Test
    void eachApiKeyHasItsOwnBucketWithinTheTenants() {
        Admission keys = new Admission(new TenantRegistry(List.of(Tenant.withDefaults("acme")
                .withRateLimit(new RateLimit(60, 3)).withKeyRateLimit(new RateLimit(60, 2)))));
        assertThat(keys.limitsKey(keyed("acme", "r-0", "k1", T0))).isTrue();
        assertThat(keys.limitsKey(request("acme", "r-0", T0))).as("no key, no key bucket").isFalse();
        Admission.Decision k1a = keys.admit(keyed("acme", "r-1", "k1", T0), null, null);
        Admission.Decision k1b = keys.admit(keyed("acme", "r-2", "k1", T0), k1a.tenantBucket(), k1a.keyBucket());
        // k1 has used its two; the tenant has one left, which k1 may not take and k2 may.
        Admission.Decision k1c = keys.admit(keyed("acme", "r-3", "k1", T0 + 100), k1b.tenantBucket(),
                k1b.keyBucket());
        assertThat(k1a.admitted()).isTrue();
        assertThat(k1b.admitted()).isTrue();
        assertThat(k1c.admitted()).isFalse();
        assertThat(k1c.rejection().detail()).contains("API key k1 of tenant acme", "60 requests per minute (burst 2)");
        assertThat(k1c.rejection().retryAt()).isEqualTo(T0 + 1_000);
        // The refusal took nothing from the tenant.
        Admission.Decision k2 = keys.admit(keyed("acme", "r-4", "k2", T0 + 100), k1c.tenantBucket(), null);
        assertThat(k2.admitted()).isTrue();
        // Now the tenant is empty too: a fresh key is refused by the tenant's limit, until the later of both.
        Admission.Decision k3 = keys.admit(keyed("acme", "r-5", "k3", T0 + 100), k2.tenantBucket(), null);
        assertThat(k3.admitted()).isFalse();
        assertThat(k3.rejection().detail()).contains("tenant acme is over its rate limit of 60 requests per minute");
        Admission.Decision both = keys.admit(keyed("acme", "r-6", "k1", T0 + 200), k3.tenantBucket(),
                k1c.keyBucket());
        assertThat(both.admitted()).isFalse();
        assertThat(both.rejection().retryAt()).isEqualTo(T0 + 1_000);
    }
}
