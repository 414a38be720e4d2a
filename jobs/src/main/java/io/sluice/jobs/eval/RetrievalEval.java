package io.sluice.jobs.eval;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.backfill.Progress;
import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
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
    /** Chunks fetched per query: deep enough that the collapsed list has 100 documents. */
    private static final int CHUNK_DEPTH = 300;

    /** Mean scores of one search mode. */
    public record Scores(double ndcg10, double recall10, double recall100) {}

    private final BeirDataset dataset;
    private final Backfill.Settings backfill;
    private final PrintWriter log;

    public RetrievalEval(BeirDataset dataset, Backfill.Settings backfill, PrintWriter log) {
        this.dataset = dataset;
        this.backfill = backfill;
        this.log = log;
    }

    /**
     * Runs the evaluation; if {@code runFile} is set, writes the {@code runMode} ranking there in
     * TREC format.
     */
    public Map<SearchMode, Scores> run(Path runFile, SearchMode runMode) throws Exception {
        String snapshot = new Backfill(backfill, log).run().snapshotId();
        IndexStore store = new IndexStore(backfill.indexDir());
        Map<SearchMode, double[]> sums = new EnumMap<>(SearchMode.class);
        for (SearchMode m : SearchMode.values()) {
            sums.put(m, new double[3]);
        }
        List<String> ids = new ArrayList<>(dataset.queries().keySet());
        try (EmbeddingModel model = EmbeddingModels.open(backfill.embeddingModel(), backfill.runtime());
                HybridSearcher searcher = HybridSearcher.open(store, snapshot);
                BufferedWriter run = runFile == null ? null : Files.newBufferedWriter(runFile, StandardCharsets.UTF_8)) {
            Progress progress = new Progress(log, "eval", "queries", ids.size());
            for (int start = 0; start < ids.size(); start += 32) {
                List<String> batch = ids.subList(start, Math.min(ids.size(), start + 32));
                List<float[]> vectors = model.embed(batch.stream().map(dataset.queries()::get).toList());
                for (int i = 0; i < batch.size(); i++) {
                    String qid = batch.get(i);
                    var relevant = dataset.qrels().get(qid);
                    for (SearchMode mode : SearchMode.values()) {
                        List<String> ranking = documents(searcher.search(mode, TENANT,
                                dataset.queries().get(qid), vectors.get(i), CHUNK_DEPTH, CHUNK_DEPTH));
                        double[] s = sums.get(mode);
                        s[0] += RetrievalMetrics.ndcg(ranking, relevant, 10);
                        s[1] += RetrievalMetrics.recall(ranking, relevant, 10);
                        s[2] += RetrievalMetrics.recall(ranking, relevant, 100);
                        if (run != null && mode == runMode) {
                            writeRun(run, qid, ranking, mode);
                        }
                    }
                }
                progress.update(start + batch.size(), "3 modes");
            }
            progress.finish(ids.size(), "3 modes");
        }
        Map<SearchMode, Scores> scores = new EnumMap<>(SearchMode.class);
        int n = ids.size();
        sums.forEach((mode, s) -> scores.put(mode, new Scores(s[0] / n, s[1] / n, s[2] / n)));
        return scores;
    }

    /** Document ids in order of their best chunk, at most 100. */
    static List<String> documents(List<RetrievedChunk> chunks) {
        LinkedHashSet<String> docs = new LinkedHashSet<>();
        for (RetrievedChunk c : chunks) {
            docs.add(c.documentId());
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

    public static String table(Map<SearchMode, Scores> scores, int queries) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "| mode   | nDCG@10 | recall@10 | recall@100 |  (%d queries)%n", queries));
        sb.append("|--------|---------|-----------|------------|\n");
        scores.forEach((mode, s) -> sb.append(String.format(Locale.ROOT, "| %-6s | %.4f  | %.4f    | %.4f     |%n",
                mode.name().toLowerCase(Locale.ROOT), s.ndcg10(), s.recall10(), s.recall100())));
        return sb.toString();
    }
}
