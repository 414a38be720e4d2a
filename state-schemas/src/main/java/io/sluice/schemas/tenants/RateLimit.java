package io.sluice.schemas.tenants;

import java.io.Serializable;

/**
 * A tenant's request rate limit: a token bucket that holds at most {@code burst} requests and
 * refills at {@code requestsPerMinute}, on the requests' event time. A tenant without one is not
 * limited.
 */
public record RateLimit(int requestsPerMinute, int burst) implements Serializable {

    /** Bounds that keep the bucket's arithmetic in a long and the limit meaningful. */
    public static final int MAX_REQUESTS_PER_MINUTE = 10_000_000;
    public static final int MAX_BURST = 1_000_000;

    public RateLimit {
        if (requestsPerMinute < 1 || requestsPerMinute > MAX_REQUESTS_PER_MINUTE) {
            throw new IllegalArgumentException("requestsPerMinute must be between 1 and " + MAX_REQUESTS_PER_MINUTE
                    + ", not " + requestsPerMinute);
        }
        if (burst < 1 || burst > MAX_BURST) {
            throw new IllegalArgumentException("burst must be between 1 and " + MAX_BURST + ", not " + burst);
        }
    }

    /** A limit whose burst is a tenth of a minute's requests (at least 1), as when a tenants file names none. */
    public static RateLimit of(int requestsPerMinute) {
        return new RateLimit(requestsPerMinute, Math.max(1, requestsPerMinute / 10));
    }
}
