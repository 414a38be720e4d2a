package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code sluice backfill}: documents to a new promoted index snapshot. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = "Chunk and embed documents into an immutable, content-addressed index snapshot and promote it.")
final class BackfillCommand implements Callable<Integer> {

    @Mixin
    DocumentsMixin documents;

    @Mixin
    BackfillMixin backfill;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Backfill.Result result = new Backfill(documents.settings(backfill, spec.commandLine()), out).run();
        out.println(result.snapshotId());
        out.flush();
        return 0;
    }
}
