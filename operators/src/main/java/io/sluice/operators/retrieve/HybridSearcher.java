package io.sluice.operators.retrieve;

import io.sluice.schemas.RetrievedChunk;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.MultiReader;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.Weight;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollector;
import org.apache.lucene.search.TopScoreDocCollectorManager;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.TermToBytesRefAttribute;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.util.BytesRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Searches one pinned index snapshot, all its shards as one index (a {@link MultiReader}, so BM25
 * sees the term statistics of the whole snapshot, and kNN takes the best of every shard): BM25 over
 * title and text, kNN over chunk vectors, each candidate scored by both when
 * {@link SearchSettings#completeScores()} says so, fused as {@link SearchSettings#fusion()} says;
 * every query is filtered to one tenant inside Lucene, so another tenant's chunks are never
 * candidates. Thread-safe; deterministic for a given snapshot and settings.
 */
public final class HybridSearcher implements AutoCloseable {

    private final String snapshotId;
    private final List<FSDirectory> directories = new ArrayList<>();
    private final IndexReader reader;
    private final Searcher searcher;
    private final Analyzer analyzer;
    private final SearchSettings settings;

    /** Lucene's limit on the clauses of one query (the tenant filter is one of them). */
    static final int MAX_CLAUSES = IndexSearcher.getMaxClauseCount();

    /** Searches the Lucene indexes in {@code indexDirs} (a snapshot's shards, in shard order) as one. */
    public HybridSearcher(List<Path> indexDirs, String snapshotId, SearchSettings settings) throws IOException {
        this.snapshotId = snapshotId;
        this.settings = settings;
        this.reader = open(indexDirs, directories);
        this.searcher = new Searcher(reader);
        searcher.setSimilarity(new BM25Similarity(settings.bm25K1(), settings.bm25B()));
        this.analyzer = IndexFields.analyzer();
    }

    /** Opens a snapshot of {@code store} after checking its files against its manifest (lengths and footers). */
    public static HybridSearcher open(IndexStore store, String snapshotId, SearchSettings settings) throws IOException {
        Path dir = store.snapshotDir(snapshotId);
        return new HybridSearcher(SnapshotManifest.readVerified(dir).indexDirs(dir), snapshotId, settings);
    }

    /**
     * One reader over the indexes in {@code dirs}, in order (doc ids run through them in that order,
     * so ties still break the same way), adding the directories it opened to {@code opened}.
     */
    static IndexReader open(List<Path> dirs, List<FSDirectory> opened) throws IOException {
        List<DirectoryReader> readers = new ArrayList<>();
        try {
            for (Path dir : dirs) {
                FSDirectory directory = FSDirectory.open(dir);
                opened.add(directory);
                readers.add(DirectoryReader.open(directory));
            }
            return readers.size() == 1 ? readers.get(0) : new MultiReader(readers.toArray(IndexReader[]::new));
        } catch (IOException | RuntimeException e) {
            for (DirectoryReader r : readers) {
                r.close();
            }
            for (FSDirectory d : opened) {
                d.close();
            }
            throw e;
        }
    }

    public static HybridSearcher open(IndexStore store, String snapshotId) throws IOException {
        return open(store, snapshotId, SearchSettings.DEFAULT);
    }

    public String snapshotId() {
        return snapshotId;
    }

    public SearchSettings settings() {
        return settings;
    }

    /** Each retriever's candidates (Lucene doc ids with their scores, best first) before fusion. */
    public record Candidates(List<Fusion.Candidate<Integer>> bm25, List<Fusion.Candidate<Integer>> vector) {}

    /**
     * The best {@code topK} chunks of {@code tenantId} for a query.
     *
     * @param queryVector the query's embedding; unused (may be null) in {@link SearchMode#BM25}
     * @param depth how many candidates each retriever contributes before fusion
     */
    public List<RetrievedChunk> search(SearchMode mode, String tenantId, String query,
            float[] queryVector, int topK, int depth) {
        // Analysed and weighted once: the BM25 search and the completion of the kNN candidates score
        // the same query, and a weight looks up every term's statistics in every shard.
        Weight bm25 = mode == SearchMode.VECTOR ? null : bm25Weight(tenantId, query);
        int n = Math.max(topK, depth);
        Candidates retrieved = candidates(mode, bm25, tenantId, queryVector, n);
        if (mode != SearchMode.HYBRID || !settings.completeScores()) {
            return chunks(settings.fusion().fuse(retrieved.bm25(), retrieved.vector(), topK));
        }
        // Fewer BM25 hits than asked for are all the hits: a candidate missing from them scores 0
        // there, so completion need not build the question's scorers again to find that out.
        Candidates complete = complete(retrieved, retrieved.bm25().size() < n ? null : bm25, queryVector);
        return chunks(withRetrievedRanks(settings.fusion().fuse(complete.bm25(), complete.vector(), topK), retrieved));
    }

    /** The candidates {@link #search} fuses: each retriever's best {@code depth} ({@code mode} says which). */
    public Candidates candidates(SearchMode mode, String tenantId, String query, float[] queryVector, int depth) {
        return candidates(mode, mode == SearchMode.VECTOR ? null : bm25Weight(tenantId, query), tenantId, queryVector,
                depth);
    }

    private Candidates candidates(SearchMode mode, Weight bm25, String tenantId, float[] queryVector, int depth) {
        try {
            return new Candidates(bm25 == null ? List.of() : candidates(searcher.top(bm25, depth).scoreDocs),
                    mode == SearchMode.BM25 ? List.of() : knn(tenantId, queryVector, depth));
        } catch (IOException e) {
            throw new UncheckedIOException("Search failed on snapshot " + snapshotId, e);
        }
    }

    /**
     * The BM25 weight of the question's terms filtered to the tenant, as {@link IndexSearcher#search(Query, int)}
     * would build it (scores for the best hits, so whole blocks of postings may be skipped); null when
     * the question has no searchable term.
     */
    private Weight bm25Weight(String tenantId, String query) {
        Query bm25 = bm25Query(tenantId, query);
        if (bm25 == null) {
            return null;
        }
        try {
            return searcher.createWeight(searcher.rewrite(bm25), ScoreMode.TOP_SCORES, 1f);
        } catch (IOException e) {
            throw new UncheckedIOException("Weighting the question failed on snapshot " + snapshotId, e);
        }
    }

    /** The question's terms, filtered to the tenant; null when the question has no searchable term. */
    private Query bm25Query(String tenantId, String query) {
        Query text;
        try {
            text = termQuery(query);
        } catch (IOException e) {
            throw new UncheckedIOException("Analysing the question failed on snapshot " + snapshotId, e);
        }
        if (text == null) {
            return null;
        }
        return new BooleanQuery.Builder()
                .add(text, BooleanClause.Occur.MUST)
                .add(tenantFilter(tenantId), BooleanClause.Occur.FILTER)
                .build();
    }

    /**
     * Both retrievers' scores for every candidate of either list: each list becomes the union of the
     * two, best first (ties by doc id). A chunk that one retriever did not return gets the score it
     * would have had there: BM25 for the same query (0 without any of its terms), or the similarity
     * of its stored vector to the query's. Fused from complete lists, a chunk only one retriever
     * found is ranked by its real score in the other, not by that list's floor.
     */
    public Candidates complete(Candidates retrieved, String tenantId, String query, float[] queryVector) {
        return complete(retrieved, bm25Weight(tenantId, query), queryVector);
    }

    /** As {@link #complete(Candidates, String, String, float[])}, with the BM25 weight built already (null: none). */
    private Candidates complete(Candidates retrieved, Weight bm25, float[] queryVector) {
        TreeSet<Integer> union = new TreeSet<>();
        retrieved.bm25().forEach(c -> union.add(c.id()));
        retrieved.vector().forEach(c -> union.add(c.id()));
        try {
            Map<Integer, Float> bm25Scores = scored(retrieved.bm25());
            Map<Integer, Float> vectorScores = scored(retrieved.vector());
            scoreBm25(bm25, union, bm25Scores);
            scoreVectors(queryVector, union, vectorScores);
            return new Candidates(ranked(bm25Scores), ranked(vectorScores));
        } catch (IOException e) {
            throw new UncheckedIOException("Scoring candidates failed on snapshot " + snapshotId, e);
        }
    }

    private static Map<Integer, Float> scored(List<Fusion.Candidate<Integer>> list) {
        Map<Integer, Float> scores = new HashMap<>();
        list.forEach(c -> scores.put(c.id(), (float) c.score()));
        return scores;
    }

    /**
     * Adds the BM25 score of each of {@code docs} (ascending) that {@code scores} lacks; 0 without a match.
     * The search's weight scores them: no competitive score is ever set on these scorers, so they
     * visit every document asked for, and sum each one's clauses as the search did.
     */
    private void scoreBm25(Weight weight, SortedSet<Integer> docs, Map<Integer, Float> scores) throws IOException {
        List<LeafReaderContext> leaves = reader.leaves();
        int leaf = -1;
        Scorer scorer = null;
        for (int doc : docs) {
            if (scores.containsKey(doc)) {
                continue;
            }
            float score = 0;
            int at = ReaderUtil.subIndex(doc, leaves);
            if (weight != null) {
                if (at != leaf) {
                    leaf = at;
                    scorer = weight.scorer(leaves.get(at));
                }
                int local = doc - leaves.get(at).docBase;
                if (scorer != null && scorer.docID() < local && scorer.iterator().advance(local) == local) {
                    score = scorer.score();
                }
            }
            scores.put(doc, score);
        }
    }

    /** Adds the similarity of each of {@code docs}' (ascending) stored vectors that {@code scores} lacks. */
    private void scoreVectors(float[] queryVector, SortedSet<Integer> docs, Map<Integer, Float> scores)
            throws IOException {
        List<LeafReaderContext> leaves = reader.leaves();
        int leaf = -1;
        FloatVectorValues values = null;
        VectorSimilarityFunction similarity = null;
        for (int doc : docs) {
            if (scores.containsKey(doc)) {
                continue;
            }
            int at = ReaderUtil.subIndex(doc, leaves);
            if (at != leaf) {
                leaf = at;
                LeafReader r = leaves.get(at).reader();
                values = r.getFloatVectorValues(IndexFields.VECTOR);
                similarity = values == null ? null : r.getFieldInfos().fieldInfo(IndexFields.VECTOR)
                        .getVectorSimilarityFunction();
            }
            int local = doc - leaves.get(at).docBase;
            boolean found = values != null && values.docID() < local && values.advance(local) == local;
            scores.put(doc, found ? similarity.compare(queryVector, values.vectorValue()) : 0f);
        }
    }

    private static List<Fusion.Candidate<Integer>> ranked(Map<Integer, Float> scores) {
        List<Fusion.Candidate<Integer>> list = new ArrayList<>(scores.size());
        scores.forEach((doc, score) -> list.add(new Fusion.Candidate<>(doc, score)));
        list.sort(Comparator.comparingDouble((Fusion.Candidate<Integer> c) -> c.score()).reversed()
                .thenComparing(Fusion.Candidate::id));
        return list;
    }

    /**
     * Fused results with their ranks in the lists the retrievers returned (0 where one did not), as
     * responses and the audit trail report them, rather than their ranks in the completed lists.
     */
    private static List<Fusion.Fused<Integer>> withRetrievedRanks(List<Fusion.Fused<Integer>> fused,
            Candidates retrieved) {
        Map<Integer, Integer> bm25 = ranks(retrieved.bm25());
        Map<Integer, Integer> vector = ranks(retrieved.vector());
        return fused.stream().map(f -> new Fusion.Fused<>(f.id(), f.score(), bm25.getOrDefault(f.id(), 0),
                vector.getOrDefault(f.id(), 0))).toList();
    }

    private static Map<Integer, Integer> ranks(List<Fusion.Candidate<Integer>> list) {
        Map<Integer, Integer> ranks = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            ranks.put(list.get(i).id(), i + 1);
        }
        return ranks;
    }

    private List<Fusion.Candidate<Integer>> knn(String tenantId, float[] vector, int n) throws IOException {
        if (vector == null) {
            throw new IllegalArgumentException("vector search needs a query vector");
        }
        Query query = new KnnFloatVectorQuery(IndexFields.VECTOR, vector, n, tenantFilter(tenantId));
        return candidates(searcher.search(query, n).scoreDocs);
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
                } else if (counts.size() < settings.maxQueryTerms()) {
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
     * The chunks of fused results, read from stored fields only for what is returned. Fusion works on
     * Lucene doc ids: in a pinned snapshot of single-segment shards a doc id names one chunk, and it
     * is fixed by the shards' order and each writer's order, so ties break the same way every time.
     */
    public List<RetrievedChunk> chunks(List<Fusion.Fused<Integer>> fused) {
        try {
            StoredFields stored = searcher.storedFields();
            List<RetrievedChunk> out = new ArrayList<>(fused.size());
            for (Fusion.Fused<Integer> f : fused) {
                var doc = stored.document(f.id());
                var tokens = doc.getField(IndexFields.TOKENS);
                out.add(new RetrievedChunk(doc.get(IndexFields.CHUNK_ID), doc.get(IndexFields.DOCUMENT_ID),
                        doc.get(IndexFields.TITLE), doc.get(IndexFields.TEXT), f.score(),
                        f.bm25Rank(), f.vectorRank(), tokens == null ? 0 : tokens.numericValue().intValue()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Reading results failed on snapshot " + snapshotId, e);
        }
    }

    /**
     * The document id of every chunk, indexed by Lucene doc id: for evaluations that rank documents
     * under many settings without reading stored fields for each.
     */
    public String[] documentIds() throws IOException {
        StoredFields stored = searcher.storedFields();
        String[] ids = new String[reader.maxDoc()];
        for (int d = 0; d < ids.length; d++) {
            ids[d] = stored.document(d, java.util.Set.of(IndexFields.DOCUMENT_ID)).get(IndexFields.DOCUMENT_ID);
        }
        return ids;
    }

    private static List<Fusion.Candidate<Integer>> candidates(ScoreDoc[] hits) {
        List<Fusion.Candidate<Integer>> out = new ArrayList<>(hits.length);
        for (ScoreDoc hit : hits) {
            out.add(new Fusion.Candidate<>(hit.doc, hit.score));
        }
        return out;
    }

    /** An index searcher that runs a weight built already, so one question's weight serves twice. */
    private static final class Searcher extends IndexSearcher {

        Searcher(IndexReader reader) {
            super(reader);
        }

        /**
         * The best {@code n} hits of {@code weight} (built for {@link ScoreMode#TOP_SCORES}), as a search
         * finds them. Hits are counted no further than the {@code n} collected: nothing reads a total,
         * and {@link IndexSearcher#search(Query, int)}'s exact count of the first 1,000 hits would keep
         * the scorers from skipping blocks that cannot beat the n-th score until that many matched.
         * Skipping changes no result: a skipped document scores below the n-th, and one that ties it
         * comes later in doc id order, so it would lose the tie.
         */
        TopDocs top(Weight weight, int n) throws IOException {
            int hits = Math.min(n, Math.max(1, getIndexReader().maxDoc()));
            var manager = new TopScoreDocCollectorManager(hits, null, hits);
            TopScoreDocCollector collector = manager.newCollector();
            search(getIndexReader().leaves(), weight, collector);
            return manager.reduce(List.of(collector));
        }
    }

    @Override
    public void close() {
        try {
            reader.close();
            for (FSDirectory directory : directories) {
                directory.close();
            }
            analyzer.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
