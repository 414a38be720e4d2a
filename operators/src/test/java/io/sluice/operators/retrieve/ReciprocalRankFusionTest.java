package io.sluice.operators.retrieve;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ReciprocalRankFusionTest {

    @Test
    void agreementBeatsASingleFirstPlace() {
        var fused = ReciprocalRankFusion.fuse(List.of("a", "b", "c"), List.of("x", "b"), 60, 10);
        // b: 1/62 + 1/62; a: 1/61; x: 1/61 (tie, by id); c: 1/63
        assertThat(fused).extracting(ReciprocalRankFusion.Fused::id).containsExactly("b", "a", "x", "c");
        assertThat(fused.get(0).score()).isCloseTo(2.0 / 62, within(1e-12));
        assertThat(fused.get(0).leftRank()).isEqualTo(2);
        assertThat(fused.get(2).leftRank()).isZero();
        assertThat(fused.get(2).rightRank()).isEqualTo(1);
    }

    @Test
    void tiesAreBrokenById() {
        var fused = ReciprocalRankFusion.fuse(List.of("z"), List.of("a"), 60, 10);
        assertThat(fused).extracting(ReciprocalRankFusion.Fused::id).containsExactly("a", "z");
    }

    @Test
    void limitCutsTheFusedList() {
        assertThat(ReciprocalRankFusion.fuse(List.of("a", "b", "c"), List.<String>of(), 60, 2)).hasSize(2);
        assertThat(ReciprocalRankFusion.fuse(List.<String>of(), List.<String>of(), 60, 2)).isEmpty();
    }

    @Test
    void fusesAnyComparableKey() {
        // Lucene doc ids, as HybridSearcher uses them: ties go to the lower doc id.
        assertThat(ReciprocalRankFusion.fuse(List.of(7, 3), List.of(5, 3), 60, 10)) // 5 and 7 tie at 1/61
                .extracting(ReciprocalRankFusion.Fused::id).containsExactly(3, 5, 7);
    }
}
