package io.sluice.operators.cache;

import io.sluice.model.chat.GenerationParams;
import io.sluice.schemas.Hashing;
import io.sluice.schemas.tenants.ResponseCachePolicy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Generative answers kept in Redis and served again for the same turn. The key is a hash of
 * everything the answer depends on — tenant, profile and its version, the model, the routing
 * policy's and the prompt's versions, the index snapshot and embedding model, the compiled
 * context's hash (history, sources and question), and the sampling parameters — so promoting a
 * model, prompt, index or policy changes every key and nothing stale is served. Only greedy answers
 * (temperature 0) are cached unless the tenant allows sampled ones too.
 *
 * <p>What is stored is the answer as it left (markers naming no source removed, personal data
 * replaced), never the model's raw text. A hit is live (the entry exists or not): the audit row
 * journals it, and replay serves the same hits from there ({@link #journal}).
 */
public final class ResponseCache {

    /** Where the cache is. */
    public record Settings(String redisUri, Duration timeout) implements Serializable {
        public boolean enabled() {
            return redisUri != null && !redisUri.isBlank();
        }
    }

    /**
     * An answer as cached: its text, the model version and finish reason, the pieces it came in, and
     * the turn that gave it ({@code from}: its request's position).
     */
    public record Cached(String text, String modelVersion, String finishReason, int pieces, String from)
            implements Serializable {}

    /** Where entries are read and written. */
    public interface Store {
        /** The entry under {@code key} (the turn's request is at {@code position}), or null: a miss. */
        CompletableFuture<Cached> get(String key, String position);

        void put(String key, Cached value, Duration ttl);
    }

    static final String PREFIX = "sluice:resp:1:";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ResponseCache() {}

    /** Whether an answer sampled with {@code params} may be cached under {@code policy} (null: the tenant caches nothing). */
    public static boolean cacheable(ResponseCachePolicy policy, GenerationParams params) {
        return policy != null && (params.temperature() == 0 || policy.sampled());
    }

    /** What a turn's answer depends on, hashed: the key it is cached under (the tenant also in the clear). */
    public static String key(String tenant, String profile, int profileVersion, String modelId, int policyVersion,
            int promptVersion, String snapshotId, String embeddingModel, String contextHash, GenerationParams p) {
        String identity = String.join("\u0000", tenant, profile, Integer.toString(profileVersion), modelId,
                Integer.toString(policyVersion), Integer.toString(promptVersion), snapshotId, embeddingModel,
                contextHash, String.format(Locale.ROOT, "t=%s p=%s max=%d stop=%s", p.temperature(), p.topP(),
                        p.maxTokens(), p.stop()));
        return PREFIX + tenant + ':' + Hashing.sha256Hex(identity);
    }

    static byte[] encode(Cached c) {
        return MAPPER.createObjectNode().put("text", c.text()).put("modelVersion", c.modelVersion())
                .put("finishReason", c.finishReason()).put("pieces", c.pieces()).put("from", c.from()).toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The entry in {@code bytes}, or null when they are not one (a miss). */
    static Cached decode(byte[] bytes) {
        try {
            JsonNode n = MAPPER.readTree(bytes);
            if (!n.path("text").isTextual() || !n.path("pieces").canConvertToInt()) {
                return null;
            }
            return new Cached(n.path("text").asText(), n.path("modelVersion").asText(),
                    n.path("finishReason").asText(), Math.max(1, n.path("pieces").asInt()), n.path("from").asText(null));
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** Entries in Redis: a lookup that fails or outlasts the connection's timeout is a miss. */
    public static final class Redis implements Store {
        private final RedisCache redis;
        private final CacheStats stats = new CacheStats();

        public Redis(RedisCache redis) {
            this.redis = redis;
        }

        @Override
        public CompletableFuture<Cached> get(String key, String position) {
            return redis.get(key.getBytes(StandardCharsets.UTF_8), stats).thenApply(bytes -> {
                Cached c = bytes == null ? null : decode(bytes);
                stats.lookedUp(c != null);
                return c;
            });
        }

        @Override
        public void put(String key, Cached value, Duration ttl) {
            redis.put(key.getBytes(StandardCharsets.UTF_8), encode(value), ttl, stats);
        }

        public CacheStats stats() {
            return stats;
        }
    }

    /** Replay's store: the hits the audit trail journaled, by request position; nothing is written. */
    public static Store journal(Map<String, Cached> hits) {
        TreeMap<String, Cached> byPosition = new TreeMap<>(hits);
        return new Store() {
            @Override
            public CompletableFuture<Cached> get(String key, String position) {
                return CompletableFuture.completedFuture(byPosition.get(position));
            }

            @Override
            public void put(String key, Cached value, Duration ttl) {}
        };
    }
}
