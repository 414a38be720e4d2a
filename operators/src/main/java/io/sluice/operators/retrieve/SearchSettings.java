package io.sluice.operators.retrieve;

import java.io.Serializable;

/**
 * How {@link HybridSearcher} ranks: the fusion of its two candidate lists, whether each candidate is
 * scored by both retrievers first, BM25's parameters, and the bound on query terms.
 *
 * @param bm25K1 BM25's term-frequency saturation (Lucene's default 1.2)
 * @param bm25B BM25's length normalisation, in [0, 1] (Lucene's default 0.75); both apply at search
 *     time, so they can change without a new snapshot
 * @param maxQueryTerms distinct terms of a question that BM25 searches for, the first ones in the
 *     question's order; the rest are ignored, so no message can build a query beyond Lucene's clause
 *     limit or make one search arbitrarily slow
 * @param completeScores in hybrid search, score every candidate of either retriever by both before
 *     fusing ({@link HybridSearcher#complete}), instead of giving a candidate one retriever missed
 *     nothing from it
 */
public record SearchSettings(Fusion fusion, float bm25K1, float bm25B, int maxQueryTerms, boolean completeScores)
        implements Serializable {

    /** Distinct query terms BM25 uses by default. */
    public static final int DEFAULT_MAX_QUERY_TERMS = 64;

    /** Lucene's defaults and reciprocal rank fusion with k = 60: what Sluice ranked with before tuning. */
    public static final SearchSettings LUCENE_RRF = new SearchSettings(new Fusion.Rrf(60), 1.2f, 0.75f,
            DEFAULT_MAX_QUERY_TERMS, false);

    /**
     * What serving ranks with unless configured otherwise: every candidate scored by both retrievers,
     * then convex fusion weighing the vector score 0.8; BM25 with k1 0.9, b 0.4 — chosen on SciFact's
     * train queries with the default embedding model, over a snapshot embedded one text per call, by
     * the procedure 5-fold cross-validation scores (docs/BENCHMARKS.md, row 10). Between k1 0.9 and
     * 1.2 the choice is within noise (0.002 nDCG@10), and it moved with the snapshot's last bits.
     */
    public static final SearchSettings DEFAULT = new SearchSettings(new Fusion.Convex(0.8), 0.9f, 0.4f,
            DEFAULT_MAX_QUERY_TERMS, true);

    public SearchSettings {
        if (fusion == null) {
            throw new IllegalArgumentException("a fusion method is required");
        }
        if (!(bm25K1 >= 0) || !(bm25B >= 0 && bm25B <= 1)) {
            throw new IllegalArgumentException("BM25 k1 must be >= 0 and b in [0, 1], got k1 " + bm25K1 + ", b " + bm25B);
        }
        if (maxQueryTerms < 1 || maxQueryTerms > HybridSearcher.MAX_CLAUSES - 1) {
            throw new IllegalArgumentException("max query terms must be in [1, " + (HybridSearcher.MAX_CLAUSES - 1)
                    + "], got " + maxQueryTerms);
        }
    }

    public SearchSettings withFusion(Fusion f) {
        return new SearchSettings(f, bm25K1, bm25B, maxQueryTerms, completeScores);
    }

    public SearchSettings withBm25(float k1, float b) {
        return new SearchSettings(fusion, k1, b, maxQueryTerms, completeScores);
    }

    public SearchSettings withMaxQueryTerms(int terms) {
        return new SearchSettings(fusion, bm25K1, bm25B, terms, completeScores);
    }

    public SearchSettings withCompleteScores(boolean complete) {
        return new SearchSettings(fusion, bm25K1, bm25B, maxQueryTerms, complete);
    }
}
