package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.config.BackfillOptions;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code sluice backfill}: documents to a new promoted index snapshot. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = "Chunk and embed documents into an immutable, content-addressed index snapshot and promote it.")
final class BackfillCommand implements Callable<Integer> {

    @Option(names = "--docs", required = true, description = "File or directory of .md, .txt, .jsonl(.gz) documents.")
    Path docs;

    @Option(names = "--index-dir", required = true, description = "Directory of index snapshots.")
    Path indexDir;

    @Option(names = "--tenant", description = "Tenant of documents that do not name one (default: ${DEFAULT-VALUE}).")
    String tenant = BackfillOptions.DEFAULT_TENANT.defaultValue();

    @Mixin
    BackfillMixin backfill;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Backfill.Result result = new Backfill(backfill.settings(docs, indexDir, tenant), out).run();
        out.println(result.snapshotId());
        out.flush();
        return 0;
    }
}
