package io.sluice.operators.cache;

import io.sluice.model.chat.GenerationParams;
import io.sluice.schemas.tenants.ResponseCachePolicy;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

class ResponseCacheTest {

    private static final GenerationParams GREEDY = new GenerationParams(0, 1, 256, 7, List.of());

    private static String key(Function<Object[], Object[]> change) {
        Object[] a = {"acme", "large", 3, "openai-compatible:qwen", 2, 2, "snap-1", "minilm@1", "ctx", GREEDY};
        Object[] b = change.apply(a.clone());
        return ResponseCache.key((String) b[0], (String) b[1], (int) b[2], (String) b[3], (int) b[4], (int) b[5],
                (String) b[6], (String) b[7], (String) b[8], (GenerationParams) b[9]);
    }

    private static Function<Object[], Object[]> set(int i, Object v) {
        return a -> {
            a[i] = v;
            return a;
        };
    }

    @Test
    void anyPromotionChangesTheKeySoNothingStaleIsServed() {
        String base = key(a -> a);
        assertThat(base).startsWith("sluice:resp:1:acme:");
        assertThat(key(a -> a)).isEqualTo(base);
        List<String> changed = List.of(key(set(0, "globex")), key(set(1, "small")), key(set(2, 4)),
                key(set(3, "openai-compatible:llama")), key(set(4, 3)), key(set(5, 3)), key(set(6, "snap-2")),
                key(set(7, "minilm@2")), key(set(8, "ctx2")),
                key(set(9, new GenerationParams(0, 0.9, 256, 7, List.of()))),
                key(set(9, new GenerationParams(0, 1, 128, 7, List.of()))));
        assertThat(changed).doesNotContain(base).doesNotHaveDuplicates();
        assertThat(key(set(9, GREEDY.withSeed(99)))).as("the seed is per request: greedy answers ignore it")
                .isEqualTo(base);
    }

    @Test
    void onlyGreedyAnswersAreCachedUnlessTheTenantAllowsSampledOnes() {
        var greedyOnly = new ResponseCachePolicy(Duration.ofHours(1), false);
        var sampledToo = new ResponseCachePolicy(Duration.ofHours(1), true);
        var sampled = new GenerationParams(0.7, 0.9, 256, 7, List.of());
        assertThat(ResponseCache.cacheable(greedyOnly, GREEDY)).isTrue();
        assertThat(ResponseCache.cacheable(greedyOnly, sampled)).isFalse();
        assertThat(ResponseCache.cacheable(sampledToo, sampled)).isTrue();
        assertThat(ResponseCache.cacheable(null, GREEDY)).isFalse();
    }

    @Test
    void entriesRoundTripAndGarbageIsAMiss() {
        var c = new ResponseCache.Cached("Thirty days [1].", "qwen-7b", "stop", 3, "0:42");
        assertThat(ResponseCache.decode(ResponseCache.encode(c))).isEqualTo(c);
        assertThat(ResponseCache.decode("not json".getBytes())).isNull();
        assertThat(ResponseCache.decode("{\"pieces\": 2}".getBytes())).isNull();
    }
}
