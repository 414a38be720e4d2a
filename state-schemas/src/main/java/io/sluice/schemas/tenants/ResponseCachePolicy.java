package io.sluice.schemas.tenants;

import java.io.Serializable;
import java.time.Duration;

/**
 * Whether a tenant's generative answers are cached and served again for the same compiled context:
 * for how long ({@code ttl}), and whether sampled answers (temperature above 0, which a repeated
 * call would answer differently) may be too ({@code sampled}; off: only greedy answers are cached).
 */
public record ResponseCachePolicy(Duration ttl, boolean sampled) implements Serializable {

    /** An hour, greedy answers only. */
    public static final Duration DEFAULT_TTL = Duration.ofHours(1);

    public ResponseCachePolicy {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a response cache's ttl must be positive");
        }
    }
}
