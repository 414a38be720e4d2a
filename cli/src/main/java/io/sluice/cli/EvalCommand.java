package io.sluice.cli;

import io.sluice.jobs.eval.BeirDataset;
import io.sluice.jobs.eval.RetrievalEval;
import io.sluice.operators.retrieve.SearchMode;

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
        var scores = new RetrievalEval(data, settings, spec.commandLine().getErr()).run(runFile, runMode);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%s split '%s'%n", dataset, split);
        out.print(RetrievalEval.table(scores, data.queries().size()));
        out.flush();
        return 0;
    }
}
