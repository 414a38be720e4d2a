package io.sluice.operators.retrieve;

import io.sluice.operators.retrieve.Fusion.Candidate;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class FusionTest {

    /** A list best first whose scores are 10, 9, 8, ... (RRF ignores them). */
    @SafeVarargs
    private static <K> List<Candidate<K>> ranked(K... ids) {
        List<Candidate<K>> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            out.add(new Candidate<>(ids[i], 10 - i));
        }
        return out;
    }

    @Test
    void rrfAgreementBeatsASingleFirstPlace() {
        var fused = new Fusion.Rrf(60).fuse(ranked("a", "b", "c"), ranked("x", "b"), 10);
        // b: 1/62 + 1/62; a: 1/61; x: 1/61 (tie, by id); c: 1/63
        assertThat(fused).extracting(Fusion.Fused::id).containsExactly("b", "a", "x", "c");
        assertThat(fused.get(0).score()).isCloseTo(2.0 / 62, within(1e-12));
        assertThat(fused.get(0).bm25Rank()).isEqualTo(2);
        assertThat(fused.get(2).bm25Rank()).isZero();
        assertThat(fused.get(2).vectorRank()).isEqualTo(1);
    }

    @Test
    void tiesAreBrokenById() {
        assertThat(new Fusion.Rrf(60).fuse(ranked("z"), ranked("a"), 10)).extracting(Fusion.Fused::id)
                .containsExactly("a", "z");
        // Lucene doc ids, as HybridSearcher uses them: 5 and 7 tie at 1/61, and the lower goes first.
        assertThat(new Fusion.Rrf(60).fuse(ranked(7, 3), ranked(5, 3), 10)).extracting(Fusion.Fused::id)
                .containsExactly(3, 5, 7);
    }

    @Test
    void limitCutsTheFusedList() {
        for (Fusion f : List.of(new Fusion.Rrf(60), new Fusion.Convex(0.5))) {
            assertThat(f.fuse(ranked("a", "b", "c"), List.<Candidate<String>>of(), 2)).hasSize(2);
            assertThat(f.fuse(List.<Candidate<String>>of(), List.<Candidate<String>>of(), 2)).isEmpty();
        }
    }

    @Test
    void convexWeighsNormalisedScores() {
        // BM25 scores 30, 20, 10 -> 1, 0.5, 0; cosine 0.9, 0.5 -> 1, 0.
        List<Candidate<String>> bm25 = List.of(new Candidate<>("a", 30), new Candidate<>("b", 20), new Candidate<>("c", 10));
        List<Candidate<String>> vector = List.of(new Candidate<>("c", 0.9), new Candidate<>("a", 0.5));
        var fused = new Fusion.Convex(0.7).fuse(bm25, vector, 10);
        // c: 0.3 * 0 + 0.7 * 1 = 0.7; a: 0.3 * 1 + 0.7 * 0 = 0.3; b: 0.3 * 0.5 = 0.15
        assertThat(fused).extracting(Fusion.Fused::id).containsExactly("c", "a", "b");
        assertThat(fused.get(0).score()).isCloseTo(0.7, within(1e-12));
        assertThat(fused.get(1).score()).isCloseTo(0.3, within(1e-12));
        assertThat(fused.get(2).score()).isCloseTo(0.15, within(1e-12));
        assertThat(fused.get(0).bm25Rank()).isEqualTo(3);
        assertThat(fused.get(0).vectorRank()).isEqualTo(1);
        // The weight moves the balance: mostly BM25 (a 0.8, b 0.4, c 0.2).
        assertThat(new Fusion.Convex(0.2).fuse(bm25, vector, 10)).extracting(Fusion.Fused::id)
                .containsExactly("a", "b", "c");
    }

    @Test
    void aListOfEqualScoresCountsEachCandidateFully() {
        var fused = new Fusion.Convex(0.5).fuse(List.of(new Candidate<>("a", 3.0), new Candidate<>("b", 3.0)),
                List.<Candidate<String>>of(), 10);
        assertThat(fused).extracting(Fusion.Fused::score).containsExactly(0.5, 0.5);
    }

    @Test
    void specsParseBackToTheSameFusion() {
        for (Fusion f : List.of(new Fusion.Rrf(60), new Fusion.Rrf(5), new Fusion.Convex(0.65), new Fusion.Convex(1.0))) {
            assertThat(Fusion.parse(f.spec())).isEqualTo(f);
        }
        assertThat(Fusion.parse(" RRF ")).isEqualTo(new Fusion.Rrf(60));
    }

    @Test
    void badSpecsSayWhatIsExpected() {
        for (String bad : List.of("", "rank", "convex", "convex:1.5", "convex:abc", "rrf:0", "rrf:x")) {
            assertThatThrownBy(() -> Fusion.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected rrf:K");
        }
    }
}
