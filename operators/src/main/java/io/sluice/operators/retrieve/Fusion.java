package io.sluice.operators.retrieve;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the BM25 and the vector candidate lists become one ranking. Ties are broken by id (any
 * comparable key: chunk ids, Lucene doc ids), so the fused order is a pure function of the inputs.
 *
 * <ul>
 *   <li>{@link Rrf}: reciprocal rank fusion (Cormack et al., 2009), the sum over the lists of
 *       {@code 1 / (k + rank)}; it uses ranks only, so it needs no calibration of the scores.</li>
 *   <li>{@link Convex}: a convex combination of the two scores, each min-max normalised over its own
 *       list (a candidate absent from a list gets 0 there), weighted {@code vectorWeight} for the
 *       vector score and {@code 1 - vectorWeight} for BM25 (Bruch et al., 2023, found it more
 *       accurate than RRF once the weight is tuned).</li>
 * </ul>
 */
public sealed interface Fusion extends Serializable permits Fusion.Rrf, Fusion.Convex {

    /** A candidate of one retriever: its id and the retriever's score; the list's order is its rank. */
    record Candidate<K>(K id, double score) {}

    /** A fused result with its 1-based rank in each input list (0 where absent). */
    record Fused<K>(K id, double score, int bm25Rank, int vectorRank) {}

    /** Fuses the two lists (each best first) and keeps the best {@code limit}. */
    <K extends Comparable<K>> List<Fused<K>> fuse(List<Candidate<K>> bm25, List<Candidate<K>> vector, int limit);

    /** The form {@link #parse} reads: {@code rrf:60} or {@code convex:0.6}. */
    String spec();

    /** Reciprocal rank fusion with constant {@code k} (60 in the original paper). */
    record Rrf(int k) implements Fusion {
        public Rrf {
            if (k < 1) {
                throw new IllegalArgumentException("rrf k must be at least 1, got " + k);
            }
        }

        @Override
        public <K extends Comparable<K>> List<Fused<K>> fuse(List<Candidate<K>> bm25, List<Candidate<K>> vector,
                int limit) {
            return combine(bm25, reciprocalRanks(bm25.size()), vector, reciprocalRanks(vector.size()), limit);
        }

        private double[] reciprocalRanks(int n) {
            double[] c = new double[n];
            for (int i = 0; i < n; i++) {
                c[i] = 1.0 / (k + i + 1);
            }
            return c;
        }

        @Override
        public String spec() {
            return "rrf:" + k;
        }
    }

    /** Min-max normalised scores, {@code vectorWeight} for the vector score and the rest for BM25. */
    record Convex(double vectorWeight) implements Fusion {
        public Convex {
            if (!(vectorWeight >= 0 && vectorWeight <= 1)) {
                throw new IllegalArgumentException("convex vector weight must be in [0, 1], got " + vectorWeight);
            }
        }

        @Override
        public <K extends Comparable<K>> List<Fused<K>> fuse(List<Candidate<K>> bm25, List<Candidate<K>> vector,
                int limit) {
            return combine(bm25, normalised(bm25, 1 - vectorWeight), vector, normalised(vector, vectorWeight), limit);
        }

        /**
         * Each candidate's score scaled to [0, 1] over its list (1 when every score in it is equal),
         * times {@code weight}. Lists are best first, so the ends are the extremes.
         */
        private static <K> double[] normalised(List<Candidate<K>> list, double weight) {
            double[] c = new double[list.size()];
            if (c.length == 0) {
                return c;
            }
            double max = list.get(0).score();
            double min = list.get(c.length - 1).score();
            for (int i = 0; i < c.length; i++) {
                c[i] = weight * (max > min ? (list.get(i).score() - min) / (max - min) : 1.0);
            }
            return c;
        }

        @Override
        public String spec() {
            return String.format(Locale.ROOT, "convex:%s", vectorWeight);
        }
    }

    /** Reads {@code rrf:K} or {@code convex:W} (as {@code sluice.retrieval.fusion} gives it). */
    static Fusion parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String method = colon < 0 ? s : s.substring(0, colon);
        String argument = colon < 0 ? "" : s.substring(colon + 1).trim();
        try {
            return switch (method) {
                case "rrf" -> new Rrf(argument.isEmpty() ? 60 : Integer.parseInt(argument));
                case "convex" -> new Convex(Double.parseDouble(argument));
                default -> throw new IllegalArgumentException("unknown fusion method '" + method + "'");
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Invalid fusion '" + spec + "' (expected rrf:K, such as rrf:60, or "
                    + "convex:W with W the vector weight in [0, 1], such as convex:0.6): " + e.getMessage(), e);
        }
    }

    /** Sums each candidate's contributions ({@code ...Scores[rank - 1]}) over the two lists. */
    private static <K extends Comparable<K>> List<Fused<K>> combine(List<Candidate<K>> bm25, double[] bm25Scores,
            List<Candidate<K>> vector, double[] vectorScores, int limit) {
        Map<K, int[]> ranks = new HashMap<>();
        for (int i = 0; i < bm25.size(); i++) {
            ranks.computeIfAbsent(bm25.get(i).id(), id -> new int[2])[0] = i + 1;
        }
        for (int i = 0; i < vector.size(); i++) {
            ranks.computeIfAbsent(vector.get(i).id(), id -> new int[2])[1] = i + 1;
        }
        List<Fused<K>> fused = new ArrayList<>(ranks.size());
        ranks.forEach((id, r) -> {
            double score = (r[0] == 0 ? 0 : bm25Scores[r[0] - 1]) + (r[1] == 0 ? 0 : vectorScores[r[1] - 1]);
            fused.add(new Fused<>(id, score, r[0], r[1]));
        });
        fused.sort(Comparator.comparingDouble((Fused<K> f) -> f.score()).reversed().thenComparing(Fused::id));
        return fused.size() > limit ? List.copyOf(fused.subList(0, limit)) : List.copyOf(fused);
    }
}
