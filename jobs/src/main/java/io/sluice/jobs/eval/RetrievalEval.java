package io.sluice.jobs.eval;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.backfill.Progress;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.retrieve.Fusion;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.operators.retrieve.SearchSettings;
import io.sluice.schemas.RetrievedChunk;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures retrieval quality on a BEIR data set with the serving path's own code: the corpus goes
 * through the backfill into a snapshot; every judged query goes through {@link HybridSearcher}
 * in BM25, vector and hybrid mode. Chunks are collapsed to documents by first occurrence.
 */
public final class RetrievalEval {

    /** The tenant the corpus is indexed under. */
    public static final String TENANT = "eval";
    /**
     * Candidates per retriever unless told otherwise: deep enough that the fused list, collapsed to
     * documents, has the 100 that recall@100 needs. Serving fuses fewer
     * ({@code sluice.retrieval.candidates}); {@code --candidates} measures with its depth.
     */
    public static final int DEFAULT_CANDIDATES = 300;
    /** Chunks a chat request retrieves unless it says otherwise. */
    private static final int SERVING_TOP_K = io.sluice.schemas.tenants.Tenant.withDefaults(TENANT).topK();

    /** Mean scores of one search mode. */
    public record Scores(double ndcg10, double recall10, double recall100) {}

    /**
     * What one question costs as serving runs it, in milliseconds: embedding it alone on serving's
     * default ONNX Runtime threads ({@code sluice.embedding.intra-op-threads}), a hybrid search with
     * serving's default candidates ({@code sluice.retrieval.candidates}), and the two together.
     */
    public record Latency(double encodeP50, double encodeP99, double searchP50, double searchP99, double totalP50,
            double totalP99) {}

    /** Quality by mode and the cost of one question. */
    public record Report(Map<SearchMode, Scores> scores, Latency latency) {}

    private final BeirDataset dataset;
    private final Backfill.Settings backfill;
    private final SearchSettings search;
    private final int depth;
    private final PrintWriter log;

    public RetrievalEval(BeirDataset dataset, Backfill.Settings backfill, SearchSettings search, int depth,
            PrintWriter log) {
        if (depth < 1) {
            throw new IllegalArgumentException("candidates must be at least 1, got " + depth);
        }
        this.depth = depth;
        this.dataset = dataset;
        this.backfill = backfill;
        this.search = search;
        this.log = log;
    }

    /** Set by {@link #snapshot} and {@link #queryVectors}: {@link #run} and {@link #tune} share them. */
    private String snapshotId;
    private List<float[]> queryVectors;

    /** The corpus's snapshot: backfilled, or found up to date, once per evaluation. */
    private String snapshot() throws Exception {
        if (snapshotId == null) {
            snapshotId = new Backfill(backfill, log).run().snapshotId();
        }
        return snapshotId;
    }

    /** The judged queries' ids, in the data set's order. */
    private List<String> queryIds() {
        return new ArrayList<>(dataset.queries().keySet());
    }

    /**
     * The judged queries' vectors, in {@link #queryIds} order: embedded once, in batches of 32, each
     * run as the backfill's concurrent calls (the vectors are the same however a batch is split).
     */
    private List<float[]> queryVectors() {
        if (queryVectors == null) {
            List<String> texts = queryIds().stream().map(dataset.queries()::get).toList();
            List<float[]> vectors = new ArrayList<>(texts.size());
            try (EmbeddingModel model = EmbeddingModels.shared(backfill.embeddingModel(), backfill.runtime(),
                    backfill.concurrentCalls())) {
                for (int start = 0; start < texts.size(); start += 32) {
                    vectors.addAll(model.embedQueries(texts.subList(start, Math.min(texts.size(), start + 32))));
                }
            }
            queryVectors = List.copyOf(vectors);
        }
        return queryVectors;
    }

    /** BM25 parameters the tuning tries: Lucene's defaults, Anserini's BEIR setting, and around them. */
    static final float[][] BM25_GRID = {{1.2f, 0.75f}, {0.9f, 0.4f}, {0.9f, 0.6f}, {0.9f, 0.75f}, {1.2f, 0.4f},
        {1.2f, 0.6f}, {1.5f, 0.6f}, {1.5f, 0.75f}, {1.5f, 0.9f}};

    /** Fusions the tuning tries. */
    static final List<Fusion> FUSION_GRID = List.of(new Fusion.Rrf(5), new Fusion.Rrf(10), new Fusion.Rrf(20),
            new Fusion.Rrf(40), new Fusion.Rrf(60), new Fusion.Rrf(100), new Fusion.Convex(0.2), new Fusion.Convex(0.3),
            new Fusion.Convex(0.4), new Fusion.Convex(0.5), new Fusion.Convex(0.6), new Fusion.Convex(0.7),
            new Fusion.Convex(0.75), new Fusion.Convex(0.8), new Fusion.Convex(0.85), new Fusion.Convex(0.9));

    /** The result of {@link #tune}: the settings tried, in order, and the cross-validation over them. */
    public record Tuning(List<SearchSettings> settings, CrossValidation.Result result, long seed) {}

    /**
     * Chooses BM25's parameters, the fusion and whether scores are completed by {@code folds}-fold
     * cross-validation over the judged queries (nDCG@10), with the serving path's candidates, score
     * completion and {@link Fusion} code: each query's candidates are fetched once per BM25 setting,
     * completed once, and fused under every fusion of the grid with and without completion.
     */
    public Tuning tune(int folds, long seed) throws Exception {
        String snapshot = snapshot();
        IndexStore store = new IndexStore(backfill.indexDir());
        List<String> ids = queryIds();
        List<String> texts = ids.stream().map(dataset.queries()::get).toList();
        List<float[]> vectors = queryVectors();
        List<List<Fusion.Candidate<Integer>>> knn = new ArrayList<>(ids.size());
        String[] documentIds;
        try (HybridSearcher searcher = HybridSearcher.open(store, snapshot, search)) {
            documentIds = searcher.documentIds();
            for (int q = 0; q < ids.size(); q++) {
                knn.add(searcher.candidates(SearchMode.VECTOR, TENANT, texts.get(q), vectors.get(q), depth).vector());
            }
        }
        List<SearchSettings> tried = new ArrayList<>();
        List<double[]> ndcg = new ArrayList<>();
        List<double[]> recall = new ArrayList<>();
        Progress progress = new Progress(log, "tune", "BM25 settings", BM25_GRID.length);
        for (int b = 0; b < BM25_GRID.length; b++) {
            SearchSettings bm25Settings = search.withBm25(BM25_GRID[b][0], BM25_GRID[b][1]);
            List<HybridSearcher.Candidates> retrieved = new ArrayList<>(ids.size());
            List<HybridSearcher.Candidates> completed = new ArrayList<>(ids.size());
            try (HybridSearcher searcher = HybridSearcher.open(store, snapshot, bm25Settings)) {
                for (int q = 0; q < ids.size(); q++) {
                    var candidates = new HybridSearcher.Candidates(
                            searcher.candidates(SearchMode.BM25, TENANT, texts.get(q), null, depth).bm25(), knn.get(q));
                    retrieved.add(candidates);
                    completed.add(searcher.complete(candidates, TENANT, texts.get(q), vectors.get(q)));
                }
            }
            for (boolean complete : new boolean[] {false, true}) {
                List<HybridSearcher.Candidates> lists = complete ? completed : retrieved;
                for (Fusion fusion : FUSION_GRID) {
                    double[] n = new double[ids.size()];
                    double[] r = new double[ids.size()];
                    for (int q = 0; q < ids.size(); q++) {
                        var c = lists.get(q);
                        List<String> ranking = documents(fusion.fuse(c.bm25(), c.vector(), depth), documentIds);
                        var relevant = dataset.qrels().get(ids.get(q));
                        n[q] = RetrievalMetrics.ndcg(ranking, relevant, 10);
                        r[q] = RetrievalMetrics.recall(ranking, relevant, 100);
                    }
                    tried.add(bm25Settings.withCompleteScores(complete).withFusion(fusion));
                    ndcg.add(n);
                    recall.add(r);
                }
            }
            progress.update(b + 1, FUSION_GRID.size() + " fusions each, with and without completed scores");
        }
        progress.finish(BM25_GRID.length, tried.size() + " settings");
        return new Tuning(tried, CrossValidation.run(ndcg.toArray(double[][]::new), recall.toArray(double[][]::new),
                folds, seed), seed);
    }

    /** Document ids in order of their best fused chunk, at most 100. */
    static List<String> documents(List<Fusion.Fused<Integer>> fused, String[] documentIds) {
        return firstDocuments(fused.stream().map(f -> documentIds[f.id()]).toList());
    }

    /** The table {@code sluice eval --folds} prints. */
    public static String table(Tuning tuning) {
        var r = tuning.result();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d-fold cross-validation over %d settings (seed %d), choosing by nDCG@10:%n",
                r.folds().size(), tuning.settings().size(), tuning.seed()));
        sb.append("| fold | queries | chosen on the other folds | their nDCG@10 | held-out nDCG@10 | held-out recall@100 |\n");
        sb.append("|---:|---:|---|---:|---:|---:|\n");
        for (var f : r.folds()) {
            sb.append(String.format(Locale.ROOT, "| %d | %d | %s | %.4f | %.4f | %.4f |%n", f.fold(), f.queries(),
                    describe(tuning.settings().get(f.chosen())), f.trainScore(), f.heldOutScore(), f.heldOutSecondary()));
        }
        sb.append(String.format(Locale.ROOT, "| all (held-out mean) | | | | %.4f | %.4f |%n", r.heldOutMean(),
                r.heldOutSecondaryMean()));
        sb.append(String.format(Locale.ROOT, "Chosen on all queries: %s, nDCG@10 %.4f, recall@100 %.4f%n",
                describe(tuning.settings().get(r.chosenOnAll())), r.scoreOnAll(), r.secondaryOnAll()));
        return sb.toString();
    }

    /** A setting as the tables name it: its fusion and BM25 parameters, as config keys take them. */
    public static String describe(SearchSettings s) {
        return String.format(Locale.ROOT, "%s%s, bm25 k1 %s b %s", s.fusion().spec(),
                s.completeScores() ? " on complete scores" : "", s.bm25K1(), s.bm25B());
    }

    /**
     * Runs the evaluation; if {@code runFile} is set, writes the {@code runMode} ranking there in
     * TREC format.
     */
    public Report run(Path runFile, SearchMode runMode) throws Exception {
        String snapshot = snapshot();
        IndexStore store = new IndexStore(backfill.indexDir());
        Latency latency;
        Map<SearchMode, double[]> sums = new EnumMap<>(SearchMode.class);
        for (SearchMode m : SearchMode.values()) {
            sums.put(m, new double[3]);
        }
        List<String> ids = queryIds();
        List<float[]> vectors = queryVectors();
        try (HybridSearcher searcher = HybridSearcher.open(store, snapshot, search);
                BufferedWriter run = runFile == null ? null : Files.newBufferedWriter(runFile, StandardCharsets.UTF_8)) {
            Progress progress = new Progress(log, "eval", "queries", ids.size());
            for (int q = 0; q < ids.size(); q++) {
                String qid = ids.get(q);
                var relevant = dataset.qrels().get(qid);
                for (SearchMode mode : SearchMode.values()) {
                    List<String> ranking = documents(searcher.search(mode, TENANT,
                            dataset.queries().get(qid), vectors.get(q), depth, depth));
                    double[] s = sums.get(mode);
                    s[0] += RetrievalMetrics.ndcg(ranking, relevant, 10);
                    s[1] += RetrievalMetrics.recall(ranking, relevant, 10);
                    s[2] += RetrievalMetrics.recall(ranking, relevant, 100);
                    if (run != null && mode == runMode) {
                        writeRun(run, qid, ranking, mode);
                    }
                }
                progress.update(q + 1, "3 modes");
            }
            progress.finish(ids.size(), "3 modes");
        }
        try (EmbeddingModel model = EmbeddingModels.open(backfill.embeddingModel(),
                RuntimeOptions.cpu(ServingOptions.EMBEDDING_INTRA_OP_THREADS.defaultValue()));
                HybridSearcher searcher = HybridSearcher.open(store, snapshot, search)) {
            latency = latency(model, searcher, ids.stream().map(dataset.queries()::get).toList());
        }
        Map<SearchMode, Scores> scores = new EnumMap<>(SearchMode.class);
        int n = ids.size();
        sums.forEach((mode, s) -> scores.put(mode, new Scores(s[0] / n, s[1] / n, s[2] / n)));
        return new Report(scores, latency);
    }

    /** Times each question alone, as an idle serving job embeds and searches it, after a warm-up round. */
    private static Latency latency(EmbeddingModel model, HybridSearcher searcher, List<String> questions) {
        long[] encode = new long[questions.size()];
        long[] search = new long[questions.size()];
        long[] total = new long[questions.size()];
        int depth = ServingOptions.RETRIEVAL_CANDIDATES.defaultValue();
        for (String q : questions.subList(0, Math.min(200, questions.size()))) {
            searcher.search(SearchMode.HYBRID, TENANT, q, model.embedQueries(List.of(q)).get(0), SERVING_TOP_K, depth);
        }
        for (int q = 0; q < questions.size(); q++) {
            long start = System.nanoTime();
            float[] vector = model.embedQueries(List.of(questions.get(q))).get(0);
            long embedded = System.nanoTime();
            searcher.search(SearchMode.HYBRID, TENANT, questions.get(q), vector, SERVING_TOP_K, depth);
            search[q] = System.nanoTime() - embedded;
            encode[q] = embedded - start;
            total[q] = encode[q] + search[q];
        }
        return new Latency(percentileMillis(encode, 50), percentileMillis(encode, 99), percentileMillis(search, 50),
                percentileMillis(search, 99), percentileMillis(total, 50), percentileMillis(total, 99));
    }

    /** Nearest-rank percentile of nanosecond samples, in milliseconds. */
    static double percentileMillis(long[] nanos, int p) {
        long[] sorted = nanos.clone();
        java.util.Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

    /** Document ids in order of their best chunk, at most 100. */
    static List<String> documents(List<RetrievedChunk> chunks) {
        return firstDocuments(chunks.stream().map(RetrievedChunk::documentId).toList());
    }

    /** The distinct ids of a ranking of chunks' documents, in order of first occurrence, at most 100. */
    private static List<String> firstDocuments(List<String> chunkDocuments) {
        LinkedHashSet<String> docs = new LinkedHashSet<>();
        for (String d : chunkDocuments) {
            docs.add(d);
            if (docs.size() == 100) {
                break;
            }
        }
        return List.copyOf(docs);
    }

    private static void writeRun(BufferedWriter run, String qid, List<String> ranking, SearchMode mode)
            throws IOException {
        for (int r = 0; r < ranking.size(); r++) {
            // TREC wants scores that decrease with rank; the reciprocal rank is exact for that.
            run.write(String.format(Locale.ROOT, "%s Q0 %s %d %.6f sluice-%s%n", qid, ranking.get(r), r + 1,
                    1.0 / (r + 1), mode.name().toLowerCase(Locale.ROOT)));
        }
    }

    public static String table(Report report, int queries) {
        Map<SearchMode, Scores> scores = report.scores();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| mode   | nDCG@10 | recall@10 | recall@100 |  (%d queries)%n", queries));
        sb.append("|--------|---------|-----------|------------|\n");
        scores.forEach((mode, s) -> sb.append(String.format(Locale.ROOT, "| %-6s | %.4f  | %.4f    | %.4f     |%n",
                mode.name().toLowerCase(Locale.ROOT), s.ndcg10(), s.recall10(), s.recall100())));
        Latency l = report.latency();
        sb.append(String.format(Locale.ROOT, "One question alone (p50 / p99 ms): encode %.1f / %.1f, hybrid search %.1f / "
                + "%.1f, both %.1f / %.1f%n", l.encodeP50(), l.encodeP99(), l.searchP50(), l.searchP99(), l.totalP50(),
                l.totalP99()));
        return sb.toString();
    }
}
