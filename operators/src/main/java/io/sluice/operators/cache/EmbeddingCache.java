package io.sluice.operators.cache;

import io.sluice.schemas.Hashing;


import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Question vectors in Redis, keyed by (embedding model version, tenant, text): a repeated question
 * is not embedded again while its entry lives ({@code ttl}). The model version is part of the key,
 * so a new model never reads an old model's vectors; the tenant is, so tenants share nothing.
 *
 * <p>No journal is needed for replay: an entry is the vector the same model computes for the same
 * text (vectors do not depend on their batch), so a hit changes nothing a turn records. Lookups are
 * asynchronous ({@link #prefetch}): started when a question joins a batch, and waited for by the
 * thread that runs the batch (never a task thread) at most the connection's timeout
 * ({@link #fill}) — a lookup that failed or outlasted it is a miss ({@link #stats}). Writes are
 * not waited for.
 */
public final class EmbeddingCache {

    /** Where the cache is and how long entries live. */
    public record Settings(String redisUri, Duration ttl, Duration timeout) implements Serializable {
        /** Whether there is a cache at all. */
        public boolean enabled() {
            return redisUri != null && !redisUri.isBlank() && !ttl.isZero();
        }
    }

    /** Bumped when the key or value layout changes, so old entries are never misread. */
    static final String PREFIX = "sluice:emb:1:";

    private final RedisCache redis;
    private final Duration ttl;
    private final CacheStats stats = new CacheStats();

    public EmbeddingCache(RedisCache redis, Duration ttl) {
        this.redis = redis;
        this.ttl = ttl;
    }

    /** A text to look up: whose it is and what it says. */
    public record Entry(String tenant, String text) {}

    /**
     * Starts looking up the vector of {@code entry} embedded by {@code modelId}: the future completes
     * with it, or with null for a miss, an error or a timeout; it never completes exceptionally.
     */
    public CompletableFuture<float[]> prefetch(String modelId, Entry entry) {
        return redis.get(key(modelId, entry), stats).thenApply(EmbeddingCache::decode);
    }

    /**
     * Waits until every one of {@code lookups} (from {@link #prefetch}) is back, at most the
     * connection's timeout, by which each is back anyway (a miss if Redis did not answer). Worth it:
     * a lookup takes a fraction of a millisecond, the model call it may save several; and a batch
     * that starts the moment its question arrives (no linger) would otherwise find its lookup still
     * out and miss.
     */
    private void awaitBack(List<CompletableFuture<float[]>> lookups) {
        try {
            CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new))
                    .get(redis.timeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // Those not back by now are misses; the futures never complete exceptionally.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What {@code lookups} (from {@link #prefetch}) found so far, without waiting: by index, null
     * for a lookup that missed or is not back yet. Counts hits and misses.
     */
    public float[][] found(List<CompletableFuture<float[]>> lookups) {
        float[][] found = new float[lookups.size()][];
        for (int i = 0; i < found.length; i++) {
            found[i] = lookups.get(i).getNow(null);
            stats.lookedUp(found[i] != null);
        }
        return found;
    }

    /**
     * Puts in {@code vectors[at.get(j)]} what {@code lookups.get(j)} found, once they are back (at
     * most the connection's timeout: {@link #awaitBack}), when it is a vector of {@code dimension} (a
     * foreign entry is a miss); returns the indices of {@code at} still without a vector, in order.
     * Counts hits and misses as {@link #found} does. Waits: call it on the thread that runs the
     * batch, never on a task thread.
     */
    public List<Integer> fill(List<CompletableFuture<float[]>> lookups, List<Integer> at, int dimension,
            float[][] vectors) {
        awaitBack(lookups);
        float[][] found = found(lookups);
        List<Integer> missing = new java.util.ArrayList<>();
        for (int j = 0; j < found.length; j++) {
            if (found[j] != null && found[j].length == dimension) {
                vectors[at.get(j)] = found[j];
            } else {
                missing.add(at.get(j));
            }
        }
        return missing;
    }

    /**
     * The lookups of a batch being gathered: each started when its element joins the batch
     * ({@link #start}), all taken when the batch runs ({@link #take}). Elements are told apart by
     * identity.
     */
    public static final class Prefetches<T> {
        // Started on the task thread while the batch thread takes those of an earlier batch: the
        // methods are synchronized.
        private final EmbeddingCache cache;
        private final java.util.IdentityHashMap<T, CompletableFuture<float[]>> started = new java.util.IdentityHashMap<>();

        public Prefetches(EmbeddingCache cache) {
            this.cache = cache;
        }

        /** Starts looking up {@code element}'s vector ({@code entry}, embedded by {@code modelId}). */
        public synchronized void start(T element, String modelId, Entry entry) {
            started.put(element, cache.prefetch(modelId, entry));
        }

        /**
         * The lookups of {@code batch}, in its order, forgotten here; an element with none (applied
         * alone after its batch failed) has one that found nothing.
         */
        public synchronized List<CompletableFuture<float[]>> take(List<T> batch) {
            List<CompletableFuture<float[]>> taken = new java.util.ArrayList<>(batch.size());
            for (T element : batch) {
                CompletableFuture<float[]> f = started.remove(element);
                taken.add(f != null ? f : CompletableFuture.completedFuture(null));
            }
            return taken;
        }

        /** Lookups started and not back yet. */
        public synchronized long pending() {
            return started.values().stream().filter(f -> !f.isDone()).count();
        }
    }

    /** Stores the vectors computed for {@code entries}; does not wait for Redis. */
    public void store(String modelId, List<Entry> entries, List<float[]> vectors) {
        for (int i = 0; i < entries.size(); i++) {
            redis.put(key(modelId, entries.get(i)), encode(vectors.get(i)), ttl, stats);
        }
    }

    /**
     * The key of a text: the prefix, the tenant, and a hash of (model, tenant, text) — the tenant
     * in the clear for operators ({@code SCAN sluice:emb:1:acme:*}), and in the hash so that no
     * separator in an id can make two keys meet.
     */
    static byte[] key(String modelId, Entry e) {
        String digest = Hashing.sha256Hex(modelId + '\u0000' + e.tenant() + '\u0000' + e.text());
        return (PREFIX + e.tenant() + ':' + digest).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] encode(float[] vector) {
        ByteBuffer b = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : vector) {
            b.putFloat(x);
        }
        return b.array();
    }

    /** The vector in {@code bytes}, or null when they cannot be one (a miss, not an error). */
    static float[] decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0 || bytes.length % Float.BYTES != 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[bytes.length / Float.BYTES];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getFloat();
        }
        return v;
    }

    public CacheStats stats() {
        return stats;
    }
}
