package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.config.BackfillOptions;
import io.sluice.jobs.config.ServingOptions;

import org.apache.flink.configuration.Configuration;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Where a backfill or a live ingestion reads documents and writes snapshots. */
final class DocumentsMixin {

    @Option(names = "--docs", description = "File or directory of .md, .txt, .jsonl(.gz) documents (any file system "
            + "Flink reads; every TaskManager must see it).")
    Path docs;

    @Option(names = "--docs-topic", description = "Read documents from this Kafka topic instead: JSON values like "
            + "JSONL lines, keyed tenant/id; {\"deleted\": true} or a tombstone deletes.")
    String docsTopic;

    @Option(names = "--bootstrap-servers", description = "Kafka of --docs-topic (default: ${DEFAULT-VALUE}).")
    String bootstrapServers = "localhost:9092";

    @Option(names = "--index-dir", required = true, description = "Directory of index snapshots.")
    Path indexDir;

    @Option(names = "--tenant", description = "Tenant of documents that do not name one (default: ${DEFAULT-VALUE}).")
    String tenant = BackfillOptions.TENANT.defaultValue();

    /** The settings these options and {@code backfill}'s say; exactly one of --docs and --docs-topic. */
    Backfill.Settings settings(BackfillMixin backfill, CommandLine commandLine) {
        if ((docs == null) == (docsTopic == null)) {
            throw new CommandLine.ParameterException(commandLine, "Name the documents: --docs or --docs-topic");
        }
        if (docsTopic == null) {
            return backfill.settings(docs, indexDir, tenant);
        }
        Configuration conf = backfill.configuration(indexDir, tenant);
        conf.set(BackfillOptions.DOCUMENTS_TOPIC, docsTopic);
        conf.set(ServingOptions.KAFKA_BOOTSTRAP_SERVERS, bootstrapServers);
        return Backfill.Settings.from(conf);
    }
}
