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

    @Option(names = "--docs", description = "File or directory of .md, .txt, .jsonl(.gz) documents (any file system "
            + "Flink reads; every TaskManager must see it).")
    Path docs;

    @Option(names = "--docs-topic", description = "Read documents from this Kafka topic instead: JSON values like "
            + "JSONL lines, keyed tenant/id; {\"deleted\": true} or a tombstone deletes. Read to its current end.")
    String docsTopic;

    @Option(names = "--bootstrap-servers", description = "Kafka of --docs-topic (default: ${DEFAULT-VALUE}).")
    String bootstrapServers = "localhost:9092";

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
        if ((docs == null) == (docsTopic == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Name the documents: --docs or --docs-topic");
        }
        Backfill.Settings settings = backfill.settings(docs, indexDir, tenant);
        if (docsTopic != null) {
            settings = settings.withKafka(new Backfill.KafkaInput(bootstrapServers, docsTopic));
        }
        Backfill.Result result = new Backfill(settings, out).run();
        out.println(result.snapshotId());
        out.flush();
        return 0;
    }
}
