package io.sluice.operators.retrieve;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reciprocal rank fusion (Cormack et al., 2009): a result's score is the sum over the input lists
 * of {@code 1 / (k + rank)}. It needs no score calibration between BM25 and vector similarity.
 * Ties are broken by id (any comparable key: chunk ids, Lucene doc ids), so the fused order is a pure
 * function of the inputs.
 */
public final class ReciprocalRankFusion {

    /** The constant of the original paper; larger values flatten the head of each list. */
    public static final int DEFAULT_K = 60;

    private ReciprocalRankFusion() {}

    /** A fused result with its 1-based rank in each input list (0 where absent). */
    public record Fused<K>(K id, double score, int leftRank, int rightRank) {}

    public static <K extends Comparable<K>> List<Fused<K>> fuse(List<K> left, List<K> right, int k, int limit) {
        Map<K, int[]> ranks = new HashMap<>();
        for (int i = 0; i < left.size(); i++) {
            ranks.computeIfAbsent(left.get(i), id -> new int[2])[0] = i + 1;
        }
        for (int i = 0; i < right.size(); i++) {
            ranks.computeIfAbsent(right.get(i), id -> new int[2])[1] = i + 1;
        }
        List<Fused<K>> fused = new ArrayList<>(ranks.size());
        ranks.forEach((id, r) -> fused.add(new Fused<>(id, contribution(r[0], k) + contribution(r[1], k), r[0], r[1])));
        fused.sort(Comparator.comparingDouble((Fused<K> f) -> f.score()).reversed().thenComparing(Fused::id));
        return fused.size() > limit ? List.copyOf(fused.subList(0, limit)) : List.copyOf(fused);
    }

    private static double contribution(int rank, int k) {
        return rank == 0 ? 0.0 : 1.0 / (k + rank);
    }
}
