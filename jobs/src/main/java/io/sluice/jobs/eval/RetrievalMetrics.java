package io.sluice.jobs.eval;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Standard ranking metrics over document ids, as BEIR computes them with trec_eval: nDCG with
 * graded gains and log2 discounts, and recall at a cut-off.
 */
public final class RetrievalMetrics {

    private RetrievalMetrics() {}

    public static double ndcg(List<String> ranking, Map<String, Integer> relevant, int k) {
        double dcg = 0;
        for (int i = 0; i < Math.min(k, ranking.size()); i++) {
            dcg += relevant.getOrDefault(ranking.get(i), 0) / log2(i + 2);
        }
        List<Integer> ideal = new ArrayList<>(relevant.values());
        ideal.sort(Comparator.reverseOrder());
        double idcg = 0;
        for (int i = 0; i < Math.min(k, ideal.size()); i++) {
            idcg += ideal.get(i) / log2(i + 2);
        }
        return idcg == 0 ? 0 : dcg / idcg;
    }

    public static double recall(List<String> ranking, Map<String, Integer> relevant, int k) {
        if (relevant.isEmpty()) {
            return 0;
        }
        long found = ranking.stream().limit(k).filter(relevant::containsKey).count();
        return (double) found / relevant.size();
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
