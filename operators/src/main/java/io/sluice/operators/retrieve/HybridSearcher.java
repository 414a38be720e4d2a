package io.sluice.operators.retrieve;

import io.sluice.schemas.RetrievedChunk;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.TermToBytesRefAttribute;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.util.BytesRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Searches one pinned index snapshot: BM25 over title and text, kNN over chunk vectors, fused by
 * {@link ReciprocalRankFusion}; every query is filtered to one tenant inside Lucene, so another
 * tenant's chunks are never candidates. Thread-safe; deterministic for a given snapshot.
 */
public final class HybridSearcher implements AutoCloseable {

    private final String snapshotId;
    private final FSDirectory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final Analyzer analyzer;
    private final int fusionK;
    private final int maxQueryTerms;

    /** Distinct query terms BM25 uses by default; see {@link #HybridSearcher}. */
    public static final int DEFAULT_MAX_QUERY_TERMS = 64;

    /**
     * @param maxQueryTerms distinct terms of a question that BM25 searches for, the first ones in
     *     the question's order; the rest are ignored, so no message can build a query beyond
     *     Lucene's clause limit ({@value #MAX_CLAUSES}) or make one search arbitrarily slow
     */
    public HybridSearcher(Path snapshotDir, String snapshotId, int fusionK, int maxQueryTerms) throws IOException {
        if (maxQueryTerms < 1 || maxQueryTerms > MAX_CLAUSES - 1) {
            throw new IllegalArgumentException("max query terms must be in [1, " + (MAX_CLAUSES - 1) + "], got "
                    + maxQueryTerms);
        }
        this.snapshotId = snapshotId;
        this.directory = FSDirectory.open(snapshotDir);
        this.reader = DirectoryReader.open(directory);
        this.searcher = new IndexSearcher(reader);
        this.analyzer = IndexFields.analyzer();
        this.fusionK = fusionK;
        this.maxQueryTerms = maxQueryTerms;
    }

    /** Lucene's limit on the clauses of one query (the tenant filter is one of them). */
    static final int MAX_CLAUSES = IndexSearcher.getMaxClauseCount();

    public static HybridSearcher open(IndexStore store, String snapshotId, int maxQueryTerms) throws IOException {
        return new HybridSearcher(store.snapshotDir(snapshotId), snapshotId, ReciprocalRankFusion.DEFAULT_K,
                maxQueryTerms);
    }

    public static HybridSearcher open(IndexStore store, String snapshotId) throws IOException {
        return open(store, snapshotId, DEFAULT_MAX_QUERY_TERMS);
    }

    public String snapshotId() {
        return snapshotId;
    }

    /**
     * The best {@code topK} chunks of {@code tenantId} for a query.
     *
     * @param queryVector the query's embedding; unused (may be null) in {@link SearchMode#BM25}
     * @param depth how many candidates each retriever contributes before fusion
     */
    public List<RetrievedChunk> search(SearchMode mode, String tenantId, String query,
            float[] queryVector, int topK, int depth) {
        try {
            int candidates = Math.max(topK, depth);
            List<ScoreDoc> bm25 = mode == SearchMode.VECTOR ? List.of() : bm25(tenantId, query, candidates);
            List<ScoreDoc> knn = mode == SearchMode.BM25 ? List.of() : knn(tenantId, queryVector, candidates);
            return fuse(bm25, knn, topK);
        } catch (IOException e) {
            throw new UncheckedIOException("Search failed on snapshot " + snapshotId, e);
        }
    }

    private List<ScoreDoc> bm25(String tenantId, String query, int n) throws IOException {
        Query text = termQuery(query);
        if (text == null) {
            return List.of();
        }
        Query filtered = new BooleanQuery.Builder()
                .add(text, BooleanClause.Occur.MUST)
                .add(tenantFilter(tenantId), BooleanClause.Occur.FILTER)
                .build();
        return List.of(searcher.search(filtered, n).scoreDocs);
    }

    private List<ScoreDoc> knn(String tenantId, float[] vector, int n) throws IOException {
        if (vector == null) {
            throw new IllegalArgumentException("vector search needs a query vector");
        }
        Query query = new KnnFloatVectorQuery(IndexFields.VECTOR, vector, n, tenantFilter(tenantId));
        return List.of(searcher.search(query, n).scoreDocs);
    }

    /**
     * The question as a disjunction of its analysed terms: user input is never parsed as query
     * syntax, so no message can fail to parse or widen the tenant filter. A term that occurs k times
     * is one clause boosted k times, which scores as Lucene's {@code QueryBuilder} query with k
     * repeated clauses does (BooleanQuery sums the boosts of repeated SHOULD clauses when it
     * rewrites), so bounding the terms changes nothing for questions within the bound.
     */
    Query termQuery(String question) throws IOException {
        Map<BytesRef, Integer> counts = new LinkedHashMap<>();
        try (TokenStream tokens = analyzer.tokenStream(IndexFields.CONTENT, question)) {
            TermToBytesRefAttribute term = tokens.addAttribute(TermToBytesRefAttribute.class);
            tokens.reset();
            while (tokens.incrementToken()) {
                BytesRef bytes = BytesRef.deepCopyOf(term.getBytesRef());
                if (counts.containsKey(bytes)) {
                    counts.merge(bytes, 1, Integer::sum);
                } else if (counts.size() < maxQueryTerms) {
                    counts.put(bytes, 1);
                }
            }
            tokens.end();
        }
        if (counts.isEmpty()) {
            return null;
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder();
        counts.forEach((bytes, count) -> {
            Query clause = new TermQuery(new Term(IndexFields.CONTENT, bytes));
            query.add(count == 1 ? clause : new BoostQuery(clause, count), BooleanClause.Occur.SHOULD);
        });
        return query.build();
    }

    private static Query tenantFilter(String tenantId) {
        return new TermQuery(new Term(IndexFields.TENANT_ID, tenantId));
    }

    /**
     * Fuses on Lucene doc ids: in a pinned, single-segment snapshot a doc id names one chunk, and it
     * is fixed by the writer's order, so ties break the same way every time. Stored fields are read
     * only for the results that are returned.
     */
    private List<RetrievedChunk> fuse(List<ScoreDoc> bm25, List<ScoreDoc> knn, int topK) throws IOException {
        StoredFields stored = searcher.storedFields();
        List<RetrievedChunk> out = new ArrayList<>(topK);
        for (ReciprocalRankFusion.Fused<Integer> f : ReciprocalRankFusion.fuse(docIds(bm25), docIds(knn), fusionK, topK)) {
            var doc = stored.document(f.id());
            var tokens = doc.getField(IndexFields.TOKENS);
            out.add(new RetrievedChunk(doc.get(IndexFields.CHUNK_ID), doc.get(IndexFields.DOCUMENT_ID),
                    doc.get(IndexFields.TITLE), doc.get(IndexFields.TEXT), f.score(),
                    f.leftRank(), f.rightRank(), tokens == null ? 0 : tokens.numericValue().intValue()));
        }
        return out;
    }

    private static List<Integer> docIds(List<ScoreDoc> hits) {
        List<Integer> ids = new ArrayList<>(hits.size());
        for (ScoreDoc hit : hits) {
            ids.add(hit.doc);
        }
        return ids;
    }

    @Override
    public void close() {
        try {
            reader.close();
            directory.close();
            analyzer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
