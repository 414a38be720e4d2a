package io.sluice.gateway;

import io.sluice.schemas.Hashing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Which tenant a presented API key names, remembered for a short time: a gateway asks PostgreSQL
 * once per key and time to live, and a revoked key stops working everywhere within that time,
 * without a restart. Unknown keys are remembered too, so a flood of bad keys does not reach the
 * database. Bounded; entries are keyed by the key's hash. Thread-safe; the clock is injected.
 */
public final class KeyCache {

    /** Looks a key up where the keys live; may block. */
    @FunctionalInterface
    public interface Lookup {
        Optional<String> tenantOf(String key) throws Exception;
    }

    private record Entry(Optional<String> tenant, long expiresAtMillis) {}

    private final Duration ttl;
    private final int maxEntries;
    private final LongSupplier clock;
    private final Lookup lookup;
    private final Map<String, Entry> entries;

    public KeyCache(Duration ttl, int maxEntries, LongSupplier clock, Lookup lookup) {
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.clock = clock;
        this.lookup = lookup;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > KeyCache.this.maxEntries;
            }
        };
    }

    /**
     * What is remembered of {@code key}, without blocking: empty when it must be looked up, else the
     * tenant it names or empty for a key known to be unknown or revoked.
     */
    public Optional<Optional<String>> remembered(String key) {
        if (key == null || key.isEmpty()) {
            return Optional.of(Optional.empty());
        }
        String id = Hashing.sha256Hex(key);
        long now = clock.getAsLong();
        synchronized (entries) {
            Entry e = entries.get(id);
            return e != null && now < e.expiresAtMillis() ? Optional.of(e.tenant()) : Optional.empty();
        }
    }

    /** The tenant {@code key} names, or empty for a key that is unknown or revoked. May block. */
    public Optional<String> tenantOf(String key) throws Exception {
        Optional<Optional<String>> remembered = remembered(key);
        if (remembered.isPresent()) {
            return remembered.get();
        }
        String id = Hashing.sha256Hex(key);
        long now = clock.getAsLong();
        Optional<String> tenant = lookup.tenantOf(key);
        synchronized (entries) {
            entries.put(id, new Entry(tenant, now + ttl.toMillis()));
        }
        return tenant;
    }
}
