package io.sluice.operators.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.RateLimit;

import org.junit.jupiter.api.Test;

import java.util.Random;

class RateLimiterTest {

    private static final long T0 = 1_700_000_000_000L;

    @Test
    void admitsTheBurstAtOnceThenOneRequestPerRefillInterval() {
        RateLimit limit = new RateLimit(60, 3); // one request per second, three at once
        TokenBucket bucket = null;
        for (int i = 0; i < 3; i++) {
            RateLimiter.Decision d = RateLimiter.take(bucket, limit, T0);
            assertThat(d.admitted()).as("request %d of the burst", i).isTrue();
            bucket = d.bucket();
        }
        RateLimiter.Decision refused = RateLimiter.take(bucket, limit, T0);
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.retryAt()).isEqualTo(T0 + 1_000);
        assertThat(RateLimiter.take(refused.bucket(), limit, T0 + 999).admitted()).isFalse();
        RateLimiter.Decision again = RateLimiter.take(refused.bucket(), limit, T0 + 1_000);
        assertThat(again.admitted()).isTrue();
        assertThat(RateLimiter.take(again.bucket(), limit, T0 + 1_000).retryAt()).isEqualTo(T0 + 2_000);
    }

    @Test
    void refillsExactlyForRatesThatDoNotDivideAMinute() {
        RateLimit limit = new RateLimit(7, 1); // one request every 8,571.43 ms
        RateLimiter.Decision first = RateLimiter.take(null, limit, T0);
        RateLimiter.Decision refused = RateLimiter.take(first.bucket(), limit, T0 + 8_571);
        assertThat(refused.admitted()).isFalse();
        assertThat(refused.retryAt()).isEqualTo(T0 + 8_572);
        assertThat(RateLimiter.take(refused.bucket(), limit, T0 + 8_572).admitted()).isTrue();
    }

    @Test
    void timeGoingBackwardsRefillsNothingAndNeverRewindsTheBucket() {
        RateLimit limit = new RateLimit(60, 1);
        RateLimiter.Decision first = RateLimiter.take(null, limit, T0 + 5_000);
        RateLimiter.Decision earlier = RateLimiter.take(first.bucket(), limit, T0);
        assertThat(earlier.admitted()).isFalse();
        assertThat(earlier.bucket().updatedAt()).isEqualTo(T0 + 5_000);
        assertThat(earlier.retryAt()).isEqualTo(T0 + 6_000);
    }

    @Test
    void aLongIdleTimeFillsTheBucketWithoutOverflow() {
        RateLimit limit = new RateLimit(RateLimit.MAX_REQUESTS_PER_MINUTE, RateLimit.MAX_BURST);
        TokenBucket empty = new TokenBucket(0, 0);
        TokenBucket full = RateLimiter.refill(empty, limit, Long.MAX_VALUE);
        assertThat(full.level()).isEqualTo(RateLimit.MAX_BURST * TokenBucket.UNITS_PER_REQUEST);
    }

    @Test
    void aLoweredBurstCapsABucketFilledUnderTheOldOne() {
        TokenBucket roomy = RateLimiter.full(new RateLimit(60, 10), T0);
        RateLimit lowered = new RateLimit(60, 2);
        RateLimiter.Decision a = RateLimiter.take(roomy, lowered, T0);
        RateLimiter.Decision b = RateLimiter.take(a.bucket(), lowered, T0);
        assertThat(a.admitted()).isTrue();
        assertThat(b.admitted()).isTrue();
        assertThat(RateLimiter.take(b.bucket(), lowered, T0).admitted()).isFalse();
    }

    /**
     * Over random arrivals, the admitted requests of every prefix never exceed the burst plus what
     * the rate refilled since the first request, and a refused request sent again at its retryAt
     * (before anything else) is admitted.
     */
    @Test
    void neverAdmitsMoreThanTheBucketAllowsAndRetryAtIsExact() {
        long seed = Long.getLong("sluice.test.seed", System.nanoTime());
        System.out.println("RateLimiterTest seed " + seed + " (rerun with -Dsluice.test.seed=" + seed + ")");
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            RateLimit limit = new RateLimit(1 + random.nextInt(2_000), 1 + random.nextInt(50));
            TokenBucket bucket = null;
            long t = T0;
            long admitted = 0;
            for (int i = 0; i < 500; i++) {
                t += random.nextInt(4) == 0 ? 0 : random.nextInt(200);
                RateLimiter.Decision d = RateLimiter.take(bucket, limit, t);
                if (d.admitted()) {
                    admitted++;
                } else {
                    assertThat(d.retryAt()).as("seed %d", seed).isGreaterThan(t);
                    assertThat(RateLimiter.take(d.bucket(), limit, d.retryAt()).admitted()).as("seed %d", seed)
                            .isTrue();
                    assertThat(RateLimiter.take(d.bucket(), limit, d.retryAt() - 1).admitted()).as("seed %d", seed)
                            .isFalse();
                }
                bucket = d.bucket();
                long allowed = limit.burst() + (t - T0) * limit.requestsPerMinute() / 60_000;
                assertThat(admitted).as("seed %d, limit %s, at +%d ms", seed, limit, t - T0).isLessThanOrEqualTo(allowed);
            }
        }
    }
}
