package io.sluice.gateway;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class KeyCacheTest {

    @Test
    void looksUpOncePerTimeToLiveAndSeesARevocationAfterIt() throws Exception {
        AtomicLong clock = new AtomicLong();
        AtomicInteger lookups = new AtomicInteger();
        String[] tenant = {"acme"};
        KeyCache cache = new KeyCache(Duration.ofSeconds(10), 100, clock::get, key -> {
            lookups.incrementAndGet();
            return Optional.ofNullable(tenant[0]);
        });
        assertThat(cache.tenantOf("k")).contains("acme");
        assertThat(cache.tenantOf("k")).contains("acme");
        assertThat(lookups).hasValue(1);
        tenant[0] = null; // revoked
        clock.set(9_999);
        assertThat(cache.tenantOf("k")).contains("acme");
        clock.set(10_000);
        assertThat(cache.tenantOf("k")).isEmpty();
        assertThat(cache.tenantOf("")).isEmpty();
        assertThat(cache.tenantOf(null)).isEmpty();
        assertThat(lookups).hasValue(2);
    }

    @Test
    void remembersWithoutLookingUp() throws Exception {
        AtomicLong clock = new AtomicLong();
        AtomicInteger lookups = new AtomicInteger();
        KeyCache cache = new KeyCache(Duration.ofSeconds(10), 100, clock::get, key -> {
            lookups.incrementAndGet();
            return key.equals("good") ? Optional.of("acme") : Optional.empty();
        });
        assertThat(cache.remembered("good")).as("not seen yet: must be looked up").isEmpty();
        cache.tenantOf("good");
        cache.tenantOf("bad");
        assertThat(cache.remembered("good")).contains(Optional.of("acme"));
        assertThat(cache.remembered("bad")).contains(Optional.empty());
        assertThat(cache.remembered(null)).contains(Optional.empty());
        clock.set(10_000);
        assertThat(cache.remembered("good")).as("expired").isEmpty();
        assertThat(lookups).hasValue(2);
    }
}
