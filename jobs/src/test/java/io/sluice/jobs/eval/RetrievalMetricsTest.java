package io.sluice.jobs.eval;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RetrievalMetricsTest {

    @Test
    void ndcgMatchesTheTrecFormula() {
        Map<String, Integer> rel = Map.of("a", 1, "b", 1);
        assertThat(RetrievalMetrics.ndcg(List.of("a", "b", "x"), rel, 10)).isCloseTo(1.0, within(1e-12));
        // a at rank 2 only: (1/log2(3)) / (1 + 1/log2(3))
        double expected = (1 / (Math.log(3) / Math.log(2))) / (1 + 1 / (Math.log(3) / Math.log(2)));
        assertThat(RetrievalMetrics.ndcg(List.of("x", "a"), rel, 10)).isCloseTo(expected, within(1e-12));
        assertThat(RetrievalMetrics.ndcg(List.of("x", "y"), rel, 10)).isZero();
        assertThat(RetrievalMetrics.ndcg(List.of("x", "a"), rel, 1)).isZero();
    }

    @Test
    void recallCountsJudgedDocumentsInTheCutoff() {
        Map<String, Integer> rel = Map.of("a", 1, "b", 2, "c", 1, "d", 1);
        assertThat(RetrievalMetrics.recall(List.of("a", "x", "b"), rel, 10)).isEqualTo(0.5);
        assertThat(RetrievalMetrics.recall(List.of("a", "x", "b"), rel, 2)).isEqualTo(0.25);
    }
}
