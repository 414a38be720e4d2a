package io.sluice.operators.cache;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.batch.QuestionEmbedder;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.EmbeddedRequest;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import redis.embedded.RedisServer;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Against a real redis-server (the embedded-redis artifact's binary). */
class EmbeddingCacheTest {

    private static RedisServer server;
    private static String uri;

    @BeforeAll
    static void startRedis() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        server = RedisServer.builder().port(port).bind("127.0.0.1").setting("save \"\"").build();
        server.start();
        uri = "redis://127.0.0.1:" + port;
    }

    @AfterAll
    static void stopRedis() {
        server.stop();
    }

    /** A lookup as the embed stage makes it (prefetch, then read), waited for here. */
    private static float[] lookup(EmbeddingCache cache, String model, EmbeddingCache.Entry entry) {
        var lookup = cache.prefetch(model, entry);
        lookup.join();
        return cache.found(List.of(lookup))[0];
    }

    private static int freePort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    @Test
    void aStoredVectorIsFoundByItsModelAndTenantOnly() {
        try (RedisCache redis = new RedisCache(uri, Duration.ofSeconds(2))) {
            EmbeddingCache cache = new EmbeddingCache(redis, Duration.ofMinutes(5));
            var acme = new EmbeddingCache.Entry("acme", "How do refunds work?");
            cache.store("m@1", List.of(acme), List.of(new float[] {0.25f, -1.5f, 3f}));
            assertThat(awaitFound(cache, "m@1", acme)).containsExactly(0.25f, -1.5f, 3f);
            assertThat(lookup(cache, "m@2", acme)).as("another model version").isNull();
            assertThat(lookup(cache, "m@1", new EmbeddingCache.Entry("globex", acme.text())))
                    .as("another tenant").isNull();
            assertThat(cache.stats().hits()).isPositive();
            assertThat(cache.stats().errors()).isZero();
        }
    }

    /** Writes are not waited for: the entry shows up shortly after. */
    private static float[] awaitFound(EmbeddingCache cache, String model, EmbeddingCache.Entry entry) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        float[] found;
        do {
            found = lookup(cache, model, entry);
        } while (found == null && System.nanoTime() < deadline);
        return found;
    }

    @Test
    void entriesExpire() {
        try (RedisCache redis = new RedisCache(uri, Duration.ofSeconds(2))) {
            EmbeddingCache cache = new EmbeddingCache(redis, Duration.ofMillis(300));
            var entry = new EmbeddingCache.Entry("acme", "short-lived");
            cache.store("m@1", List.of(entry), List.of(new float[] {1f}));
            assertThat(awaitFound(cache, "m@1", entry)).isNotNull();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (lookup(cache, "m@1", entry) != null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(lookup(cache, "m@1", entry)).as("gone after its time to live").isNull();
        }
    }

    @Test
    void aRedisThatCannotBeReachedIsAMissNotAFailure() throws Exception {
        try (RedisCache redis = new RedisCache("redis://127.0.0.1:" + freePort(), Duration.ofMillis(200))) {
            EmbeddingCache cache = new EmbeddingCache(redis, Duration.ofMinutes(5));
            var entry = new EmbeddingCache.Entry("acme", "anything");
            assertThat(lookup(cache, "m@1", entry)).isNull();
            cache.store("m@1", List.of(entry), List.of(new float[] {1f}));
            long t0 = System.nanoTime();
            assertThat(lookup(cache, "m@1", entry)).isNull();
            assertThat((System.nanoTime() - t0) / 1_000_000).as("no new connection attempt within the back-off")
                    .isLessThan(RedisCache.RETRY_AFTER.toMillis());
            assertThat(cache.stats().errors()).isEqualTo(2);
        }
    }

    @Test
    void garbageUnderAKeyIsAMiss() {
        assertThat(EmbeddingCache.decode(new byte[] {1, 2, 3})).isNull();
        assertThat(EmbeddingCache.decode(EmbeddingCache.encode(new float[] {7f, 8f}))).containsExactly(7f, 8f);
        assertThat(new String(EmbeddingCache.key("m@1", new EmbeddingCache.Entry("acme", "q"))))
                .startsWith("sluice:emb:1:acme:");
    }

    /** As the micro-batch operator does: each question joins the batch, then it runs (waiting for its lookups). */
    private static List<EmbeddedRequest> gatherAndApply(QuestionEmbedder embedder, List<ChatRequest> batch)
            throws Exception {
        batch.forEach(embedder::added);
        return embedder.apply(batch);
    }

    private static final QuestionEmbedder.Settings MINILM =
            QuestionEmbedder.Settings.of(EmbeddingModels.BUNDLED_MINILM, RuntimeOptions.cpu(1));

    /** An embed stage with MiniLM and this Redis as its cache, open. */
    private static QuestionEmbedder openCached() throws Exception {
        QuestionEmbedder cached = new QuestionEmbedder(MINILM
                .withCache(new EmbeddingCache.Settings(uri, Duration.ofMinutes(5), Duration.ofSeconds(2))));
        cached.open(new UnregisteredMetricsGroup());
        return cached;
    }

    @Test
    void aQuestionAppliedWithoutALookupIsEmbedded() throws Exception {
        QuestionEmbedder cached = openCached();
        try {
            List<ChatRequest> batch = List.of(new ChatRequest("r1", "acme", "c1", "Never looked up", 5, 512, 1L, 0, 1L));
            // No added(): as for a question retried alone after its batch failed. It is embedded.
            assertThat(cached.apply(batch)).singleElement().satisfies(e -> assertThat(e.vector()).isNotEmpty());
            assertThat(cached.cacheHits()).isZero();
            assertThat(cached.lookupsPending()).isZero();
        } finally {
            cached.close();
        }
    }

    @Test
    void aBatchThatRunsAsItsQuestionArrivesWaitsForTheLookup() throws Exception {
        // With no linger a lone question's batch starts at once, before its lookup can be back.
        QuestionEmbedder cached = openCached();
        try {
            List<ChatRequest> batch = List.of(new ChatRequest("r1", "acme", "c1", "Asked twice, at once", 5, 512, 1L, 0, 1L));
            gatherAndApply(cached, batch);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (cached.cacheHits() == 0 && System.nanoTime() < deadline) {
                gatherAndApply(cached, batch); // the first write is not waited for
            }
            long hits = cached.cacheHits();
            assertThat(hits).as("a hit once the first vector is stored").isPositive();
            for (int i = 0; i < 20; i++) {
                gatherAndApply(cached, batch);
            }
            assertThat(cached.cacheHits() - hits).as("every later batch applied as soon as its question joined")
                    .isEqualTo(20);
            assertThat(cached.lookupsPending()).isZero();
        } finally {
            cached.close();
        }
    }

    @Test
    void theEmbedStageTakesRepeatedQuestionsFromTheCacheWithTheSameVectors() throws Exception {
        QuestionEmbedder plain = new QuestionEmbedder(MINILM);
        plain.open(new UnregisteredMetricsGroup());
        QuestionEmbedder cached = openCached();
        try {
            List<ChatRequest> batch = List.of(
                    new ChatRequest("r1", "acme", "c1", "How do refunds work?", 5, 512, 1L, 0, 1L),
                    new ChatRequest("r2", "acme", "c2", "Where is my parcel?", 5, 512, 1L, 0, 2L));
            List<EmbeddedRequest> expected = plain.apply(batch);
            List<EmbeddedRequest> first = gatherAndApply(cached, batch);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            List<EmbeddedRequest> again;
            do {
                again = gatherAndApply(cached, batch); // the first batch's writes are not waited for
            } while (cached.cacheHits() < 2 && System.nanoTime() < deadline);
            try (var tokenizer = EmbeddingModels.tokenizer(EmbeddingModels.BUNDLED_MINILM)) {
                for (int i = 0; i < batch.size(); i++) {
                    assertThat(first.get(i).vector()).containsExactly(expected.get(i).vector());
                    assertThat(again.get(i).vector()).as("from the cache").containsExactly(expected.get(i).vector());
                    // An embedded question's count comes with it; a cached vector's question is counted later.
                    int count = tokenizer.count(batch.get(i).message());
                    assertThat(expected.get(i).questionTokens()).isEqualTo(count);
                    assertThat(first.get(i).questionTokens()).isEqualTo(count);
                    assertThat(again.get(i).questionTokens()).as("from the cache").isZero();
                }
            }
            assertThat(cached.cacheHits()).isGreaterThanOrEqualTo(2);
            assertThat(plain.cacheHits()).isZero();
        } finally {
            plain.close();
            cached.close();
        }
    }
}
