package io.sluice.operators.admission;

import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.RateLimit;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Decides whether a valid request is admitted, from its tenant's limits and the tenant's state
 * (passed in, returned changed). Today the limit is the tenant's request rate ({@link RateLimiter});
 * a tenant without one is admitted without state.
 */
public final class Admission {

    /** The stage name: in rejections, metrics and the docs. */
    public static final String STAGE = "admission";

    /**
     * The outcome for one request: the tenant's bucket to keep (null: the tenant keeps none), and the
     * rejection when it was refused (null when admitted).
     */
    public record Decision(TokenBucket bucket, Rejection rejection) {
        public boolean admitted() {
            return rejection == null;
        }
    }

    private final Map<String, RateLimit> rateLimits = new HashMap<>();

    public Admission(TenantRegistry tenants) {
        for (Tenant t : tenants.all()) {
            if (t.rateLimit() != null) {
                rateLimits.put(t.id(), t.rateLimit());
            }
        }
    }

    /** Whether the tenant of a request has a limit, so its state is worth reading. */
    public boolean limits(String tenantId) {
        return limitOf(tenantId) != null;
    }

    /** Admits or refuses {@code request}, given its tenant's bucket (null: none yet). */
    public Decision admit(ChatRequest request, TokenBucket bucket) {
        RateLimit limit = limitOf(request.tenantId());
        if (limit == null) {
            return new Decision(null, null);
        }
        RateLimiter.Decision taken = RateLimiter.take(bucket, limit, request.eventTime());
        if (taken.admitted()) {
            return new Decision(taken.bucket(), null);
        }
        String detail = "tenant " + request.tenantId() + " is over its rate limit of " + limit.requestsPerMinute()
                + " requests per minute (burst " + limit.burst() + "); the next request is admitted from "
                + Instant.ofEpochMilli(taken.retryAt());
        return new Decision(taken.bucket(),
                Rejection.of(STAGE, RejectReason.RATE_LIMITED, detail, request).retryingAt(taken.retryAt()));
    }

    private RateLimit limitOf(String tenantId) {
        return rateLimits.get(tenantId);
    }
}
