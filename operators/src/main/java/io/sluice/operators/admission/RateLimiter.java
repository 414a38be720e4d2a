package io.sluice.operators.admission;

import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.RateLimit;

/**
 * A token bucket on event time, in exact integer arithmetic: {@code burst} requests at most, refilled
 * by {@code requestsPerMinute} per minute. A request takes one when there is one; a refused request
 * takes nothing and learns when there will be one.
 *
 * <p>Time comes from the requests, which a tenant sends through several partitions: their event
 * times may go backwards. The bucket then refills nothing (it never goes back in time) and
 * decides on what it has, so the outcome depends only on the order in which requests reach it.
 */
public final class RateLimiter {

    /** What a request got: admitted or not, the bucket after it, and when a refused one may come back. */
    public record Decision(boolean admitted, TokenBucket bucket, long retryAt) {}

    private RateLimiter() {}

    /** A bucket nobody has drawn from yet: full. */
    public static TokenBucket full(RateLimit limit, long eventTime) {
        return new TokenBucket(capacity(limit), eventTime);
    }

    /** Takes one request from {@code bucket} (null: full) for a request at {@code eventTime}. */
    public static Decision take(TokenBucket bucket, RateLimit limit, long eventTime) {
        TokenBucket now = at(bucket, limit, eventTime);
        return hasOne(now) ? new Decision(true, takeOne(now), -1) : new Decision(false, now, retryAt(now, limit));
    }

    /** {@code bucket} (null: full) as of {@code eventTime}, refilled, nothing taken. */
    public static TokenBucket at(TokenBucket bucket, RateLimit limit, long eventTime) {
        return refill(bucket == null ? full(limit, eventTime) : bucket, limit, eventTime);
    }

    /** Whether a bucket holds a whole request. */
    public static boolean hasOne(TokenBucket bucket) {
        return bucket.level() >= TokenBucket.UNITS_PER_REQUEST;
    }

    /** The bucket with one request taken; it must hold one. */
    public static TokenBucket takeOne(TokenBucket bucket) {
        return new TokenBucket(bucket.level() - TokenBucket.UNITS_PER_REQUEST, bucket.updatedAt());
    }

    /** The event time from which {@code bucket} holds a whole request again. */
    public static long retryAt(TokenBucket bucket, RateLimit limit) {
        long missing = Math.max(0, TokenBucket.UNITS_PER_REQUEST - bucket.level());
        return bucket.updatedAt() + (missing + limit.requestsPerMinute() - 1) / limit.requestsPerMinute();
    }

    /** The bucket at {@code eventTime}: refilled for the time since it was last updated, if any passed. */
    static TokenBucket refill(TokenBucket bucket, RateLimit limit, long eventTime) {
        long capacity = capacity(limit);
        // A limit lowered since the bucket was filled: the bucket holds no more than the new burst.
        long level = Math.min(bucket.level(), capacity);
        if (eventTime <= bucket.updatedAt()) {
            return new TokenBucket(level, bucket.updatedAt());
        }
        long elapsed = eventTime - bucket.updatedAt();
        long perMilli = limit.requestsPerMinute();
        // elapsed * perMilli could overflow after a long idle time; past this it is full anyway.
        long toFull = (capacity - level + perMilli - 1) / perMilli;
        return new TokenBucket(elapsed >= toFull ? capacity : level + elapsed * perMilli, eventTime);
    }

    private static long capacity(RateLimit limit) {
        return limit.burst() * TokenBucket.UNITS_PER_REQUEST;
    }
}
