package io.sluice.cli;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.eval.BeirDataset;
import io.sluice.jobs.eval.RetrievalEval;
import io.sluice.operators.retrieve.Fusion;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.operators.retrieve.SearchSettings;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code sluice eval}: retrieval quality on a BEIR-layout data set. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Backfill a BEIR corpus and report nDCG@10, recall@10 and recall@100 for BM25, vector and hybrid retrieval.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--dataset", required = true, description = "BEIR directory: corpus.jsonl[.gz], queries.jsonl, qrels/<split>.tsv.")
    Path dataset;

    @Option(names = "--split", description = "Qrels split (default: ${DEFAULT-VALUE}).")
    String split = "test";

    @Option(names = "--index-dir", description = "Where the corpus snapshot goes (default: .sluice/eval/<dataset>-index).")
    Path indexDir;

    @Option(names = "--run-file", description = "Also write the ranking in TREC run format to this file.")
    Path runFile;

    @Option(names = "--run-mode", description = "Which ranking --run-file gets: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SearchMode runMode = SearchMode.HYBRID;

    @Option(names = "--fusion", description = "How BM25 and vector candidates are fused, as sluice.retrieval.fusion: "
            + "rrf:K or convex:W (default: ${DEFAULT-VALUE}).")
    String fusion = ServingOptions.RETRIEVAL_FUSION.defaultValue();

    @Option(names = "--bm25-k1", description = "BM25 k1, as sluice.retrieval.bm25-k1 (default: ${DEFAULT-VALUE}).")
    float bm25K1 = ServingOptions.RETRIEVAL_BM25_K1.defaultValue();

    @Option(names = "--bm25-b", description = "BM25 b, as sluice.retrieval.bm25-b (default: ${DEFAULT-VALUE}).")
    float bm25B = ServingOptions.RETRIEVAL_BM25_B.defaultValue();

    @Option(names = "--complete-scores", negatable = true, description = "Score every hybrid candidate by both "
            + "retrievers before fusion, as sluice.retrieval.complete-scores (default: ${DEFAULT-VALUE}).")
    boolean completeScores = ServingOptions.RETRIEVAL_COMPLETE_SCORES.defaultValue();

    @Option(names = "--candidates", description = "Candidates per retriever before fusion (default: ${DEFAULT-VALUE}, "
            + "deep enough for recall@100; serving fuses sluice.retrieval.candidates).")
    int candidates = RetrievalEval.DEFAULT_CANDIDATES;

    @Option(names = "--folds", description = "Also choose BM25's parameters and the fusion by K-fold cross-validation "
            + "over the queries, and print each fold's choice and held-out scores (0: off; default: ${DEFAULT-VALUE}).")
    int folds;

    @Option(names = "--seed", description = "Seed of the queries' shuffle into folds (default: ${DEFAULT-VALUE}).")
    long seed = 13;

    @Mixin
    BackfillMixin backfill;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        BeirDataset data = BeirDataset.load(dataset, split);
        Path index = indexDir != null ? indexDir
                : Path.of(".sluice", "eval", dataset.toAbsolutePath().normalize().getFileName() + "-index");
        var settings = backfill.settings(data.corpus(), index, RetrievalEval.TENANT);
        var search = new SearchSettings(Fusion.parse(fusion), bm25K1, bm25B, SearchSettings.DEFAULT_MAX_QUERY_TERMS,
                completeScores);
        var eval = new RetrievalEval(data, settings, search, candidates, spec.commandLine().getErr());
        var report = eval.run(runFile, runMode);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%s split '%s', %s, %s, %d candidates per retriever%n", dataset, split, backfill.model,
                RetrievalEval.describe(search), candidates);
        out.print(RetrievalEval.table(report, data.queries().size()));
        out.flush();
        if (folds > 0) {
            out.print(RetrievalEval.table(eval.tune(folds, seed)));
            out.flush();
        }
        return 0;
    }
}
