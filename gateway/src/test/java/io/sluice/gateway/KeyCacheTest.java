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

    @Test
    void aFloodOfMadeUpKeysDoesNotPushOutTheKeysThatNameATenant() throws Exception {
        AtomicLong clock = new AtomicLong();
        AtomicInteger goodLookups = new AtomicInteger();
        KeyCache cache = new KeyCache(Duration.ofSeconds(10), 100, clock::get, key -> {
            if (key.startsWith("good")) {
                goodLookups.incrementAndGet();
                return Optional.of("acme");
            }
            return Optional.empty();
        });
        cache.tenantOf("good-1");
        cache.tenantOf("good-2");
        for (int i = 0; i < 1_000; i++) {
            assertThat(cache.tenantOf("made-up-" + i)).isEmpty();
        }
        assertThat(cache.remembered("good-1")).contains(Optional.of("acme"));
        assertThat(cache.remembered("good-2")).contains(Optional.of("acme"));
        assertThat(cache.remembered("made-up-999")).as("the newest made-up key").contains(Optional.empty());
        assertThat(cache.remembered("made-up-0")).as("pushed out by the others").isEmpty();
        assertThat(goodLookups).hasValue(2);
    }

    @Test
    void aKeyThatChangesKindIsRememberedAsItIsNow() throws Exception {
        AtomicLong clock = new AtomicLong();
        String[] tenant = {"acme"};
        KeyCache cache = new KeyCache(Duration.ofSeconds(10), 100, clock::get, key -> Optional.ofNullable(tenant[0]));
        assertThat(cache.tenantOf("k")).contains("acme");
        tenant[0] = null; // revoked
        clock.set(10_000);
        assertThat(cache.tenantOf("k")).isEmpty();
        assertThat(cache.remembered("k")).contains(Optional.empty());
        tenant[0] = "globex"; // a key made later under the same text (as a test would)
        clock.set(20_000);
        assertThat(cache.tenantOf("k")).contains("globex");
        assertThat(cache.remembered("k")).contains(Optional.of("globex"));
    }
}
