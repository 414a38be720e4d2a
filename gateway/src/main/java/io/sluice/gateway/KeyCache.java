package io.sluice.gateway;

import io.sluice.schemas.Hashing;
import io.sluice.schemas.LruMap;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Which tenant a presented API key names, remembered for a short time: a gateway asks PostgreSQL
 * once per key and time to live, and a revoked key stops working everywhere within that time,
 * without a restart. Unknown keys are remembered too, so a repeated bad key does not reach the
 * database again, but apart from the keys that name a tenant: each kind has its own bound, so a
 * flood of made-up keys pushes out only made-up keys, and the clients with real ones stay answered
 * from memory. Entries are keyed by the key's hash. Thread-safe; the clock is injected.
 */
public final class KeyCache {

    /** Looks a key up where the keys live; may block. */
    @FunctionalInterface
    public interface Lookup {
        Optional<String> tenantOf(String key) throws Exception;
    }

    private record Entry(Optional<String> tenant, long expiresAtMillis) {}

    private final Duration ttl;
    private final LongSupplier clock;
    private final Lookup lookup;
    /** Keys that name a tenant, and keys that name none (unknown or revoked): bounded apart. */
    private final Map<String, Entry> known;
    private final Map<String, Entry> unknown;

    public KeyCache(Duration ttl, int maxEntries, LongSupplier clock, Lookup lookup) {
        this.ttl = ttl;
        this.clock = clock;
        this.lookup = lookup;
        this.known = new LruMap<>(maxEntries);
        this.unknown = new LruMap<>(maxEntries);
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
        synchronized (this) {
            Entry e = known.get(id);
            if (e == null) {
                e = unknown.get(id);
            }
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
        synchronized (this) {
            // A key moves between the two when it is revoked, or created after a client tried it.
            (tenant.isPresent() ? unknown : known).remove(id);
            (tenant.isPresent() ? known : unknown).put(id, new Entry(tenant, now + ttl.toMillis()));
        }
        return tenant;
    }
}
