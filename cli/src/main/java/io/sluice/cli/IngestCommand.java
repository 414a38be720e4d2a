package io.sluice.cli;

import io.sluice.jobs.backfill.LiveIngestion;
import io.sluice.jobs.config.BackfillOptions;

import org.apache.flink.core.execution.JobClient;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code sluice ingest}: live ingestion, a snapshot promoted after each change, until stopped. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Follow a directory (new files) or a Kafka topic of upserts and deletes, and promote a new "
                + "snapshot after every change; runs until stopped (Ctrl-C).")
final class IngestCommand implements Callable<Integer> {

    @Mixin
    DocumentsMixin documents;

    @Mixin
    BackfillMixin backfill;

    @Option(names = "--interval", description = "How often the directory is scanned and a checkpoint taken; each "
            + "checkpoint after a change promotes a snapshot (default: ${DEFAULT-VALUE}).")
    Duration interval = BackfillOptions.INGEST_INTERVAL.defaultValue();

    @Option(names = "--name", description = "Names this ingestion's staged documents in the index directory "
            + "(default: ${DEFAULT-VALUE}).")
    String name = BackfillOptions.INGEST_NAME.defaultValue();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        JobClient job = new LiveIngestion(documents.settings(backfill, spec.commandLine()), interval, name, out).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> job.cancel().join(), "sluice-ingest-stop"));
        job.getJobExecutionResult().get();
        return 0;
    }
}
