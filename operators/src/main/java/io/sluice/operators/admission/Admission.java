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
 * (passed in, returned changed). The limits are request rates ({@link RateLimiter}): the tenant's
 * {@code rateLimit} over all its requests, and its {@code keyRateLimit} over the requests of each
 * API key. A request is admitted only when every bucket it draws from holds one; then it takes one
 * from each, and a refused request takes none.
 */
public final class Admission {

    /** The stage name: in rejections, metrics and the docs. */
    public static final String STAGE = "admission";

    /**
     * The outcome for one request: the tenant's bucket and the key's bucket to keep (null: none kept),
     * and the rejection when it was refused (null when admitted).
     */
    public record Decision(TokenBucket tenantBucket, TokenBucket keyBucket, Rejection rejection) {
        public boolean admitted() {
            return rejection == null;
        }
    }

    private final Map<String, Tenant> limited = new HashMap<>();

    public Admission(TenantRegistry tenants) {
        for (Tenant t : tenants.all()) {
            if (t.rateLimit() != null || t.keyRateLimit() != null) {
                limited.put(t.id(), t);
            }
        }
    }

    /** Whether the tenant of a request has a limit, so its state is worth reading. */
    public boolean limits(String tenantId) {
        return limited.containsKey(tenantId);
    }

    /** Whether {@code request} draws from a bucket of its API key, so that bucket is worth reading. */
    public boolean limitsKey(ChatRequest request) {
        Tenant t = limited.get(request.tenantId());
        return t != null && t.keyRateLimit() != null && request.apiKeyId() != null;
    }

    /**
     * Admits or refuses {@code request}, given its tenant's bucket and its key's bucket (null: none
     * yet; the key's is ignored unless {@link #limitsKey}).
     */
    public Decision admit(ChatRequest request, TokenBucket tenantBucket, TokenBucket keyBucket) {
        Tenant t = limited.get(request.tenantId());
        if (t == null) {
            return new Decision(null, null, null);
        }
        long time = request.eventTime();
        RateLimit tenantLimit = t.rateLimit();
        RateLimit keyLimit = limitsKey(request) ? t.keyRateLimit() : null;
        TokenBucket tenantNow = tenantLimit == null ? null : RateLimiter.at(tenantBucket, tenantLimit, time);
        TokenBucket keyNow = keyLimit == null ? null : RateLimiter.at(keyBucket, keyLimit, time);
        boolean tenantHasOne = tenantNow == null || RateLimiter.hasOne(tenantNow);
        boolean keyHasOne = keyNow == null || RateLimiter.hasOne(keyNow);
        if (tenantHasOne && keyHasOne) {
            return new Decision(tenantNow == null ? null : RateLimiter.takeOne(tenantNow),
                    keyNow == null ? null : RateLimiter.takeOne(keyNow), null);
        }
        // Refused: admitted again once every empty bucket holds a request.
        long retryAt = Math.max(tenantHasOne ? -1 : RateLimiter.retryAt(tenantNow, tenantLimit),
                keyHasOne ? -1 : RateLimiter.retryAt(keyNow, keyLimit));
        String over = !tenantHasOne
                ? "tenant " + t.id() + " is over its rate limit of " + describe(tenantLimit)
                : "API key " + request.apiKeyId() + " of tenant " + t.id() + " is over its rate limit of "
                        + describe(keyLimit);
        Rejection rejection = Rejection.of(STAGE, RejectReason.RATE_LIMITED, over
                + "; the next request is admitted from " + Instant.ofEpochMilli(retryAt), request).retryingAt(retryAt);
        return new Decision(tenantNow, keyNow, rejection);
    }

    private static String describe(RateLimit limit) {
        return limit.requestsPerMinute() + " requests per minute (burst " + limit.burst() + ")";
    }
}
