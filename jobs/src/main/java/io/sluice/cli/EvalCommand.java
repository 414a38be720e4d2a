package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.eval.BeirDataset;
import io.sluice.jobs.eval.RetrievalEval;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.retrieve.SearchMode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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

    @Option(names = "--index-dir", description = "Where the corpus snapshot goes (default: <dataset>-index under .sluice/eval).")
    Path indexDir;

    @Option(names = "--run-file", description = "Also write the ranking in TREC run format to this file.")
    Path runFile;

    @Option(names = "--run-mode", description = "Which ranking --run-file gets: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SearchMode runMode = SearchMode.HYBRID;

    @Option(names = "--model", description = "Embedding model (default: ${DEFAULT-VALUE}).")
    String model = EmbeddingModels.BUNDLED_MINILM;

    @Option(names = "--chunk-tokens", description = "Largest chunk in model tokens (default: ${DEFAULT-VALUE}).")
    int chunkTokens = ChunkerSettings.DEFAULT.maxTokens();

    @Option(names = "--chunk-overlap", description = "Overlap between chunks in tokens (default: ${DEFAULT-VALUE}).")
    int chunkOverlap = ChunkerSettings.DEFAULT.overlapTokens();

    @Option(names = "--parallelism", description = "Parallel embedding tasks (default: ${DEFAULT-VALUE}).")
    int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    @Option(names = "--model-threads", description = "ONNX Runtime threads per task (default: ${DEFAULT-VALUE}).")
    int modelThreads = 2;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        BeirDataset data = BeirDataset.load(dataset, split);
        Path index = indexDir != null ? indexDir
                : Path.of(".sluice", "eval", dataset.toAbsolutePath().normalize().getFileName() + "-index");
        Backfill.Settings settings = new Backfill.Settings(data.corpus(), index, "eval",
                new ChunkerSettings(chunkTokens, chunkOverlap), model, 32, modelThreads, parallelism);
        var scores = new RetrievalEval(data, settings, spec.commandLine().getErr()).run(runFile, runMode);
        var out = spec.commandLine().getOut();
        out.printf("%s split '%s'%n", dataset, split);
        out.print(RetrievalEval.table(scores, data.queries().size()));
        out.flush();
        return 0;
    }
}
