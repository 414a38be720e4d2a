package io.sluice.jobs.config;

import io.sluice.operators.chunk.ChunkerSettings;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

import java.time.Duration;

/**
 * Settings of the backfill and live-ingestion jobs as the job jar's entry points read them
 * ({@code BackfillJobMain}, {@code IngestJobMain}); the embedding model, its ONNX Runtime threads, the
 * index directory, Kafka's servers and the embedding cache are the serving job's keys
 * ({@link ServingOptions}), since both sides must agree on them.
 */
public final class BackfillOptions {

    private BackfillOptions() {}

    public static final ConfigOption<Integer> CHUNK_MAX_TOKENS =
            ConfigOptions.key("sluice.backfill.chunk.max-tokens").intType()
                    .defaultValue(ChunkerSettings.DEFAULT.maxTokens())
                    .withDescription("Largest chunk in model tokens (keep below the model's maximum input).");

    public static final ConfigOption<Integer> CHUNK_OVERLAP_TOKENS =
            ConfigOptions.key("sluice.backfill.chunk.overlap-tokens").intType()
                    .defaultValue(ChunkerSettings.DEFAULT.overlapTokens())
                    .withDescription("Tokens of whole trailing sentences repeated at the start of the next chunk.");

    public static final ConfigOption<Integer> EMBEDDING_BATCH_SIZE =
            ConfigOptions.key("sluice.backfill.embedding.batch-size").intType().defaultValue(32)
                    .withDescription("Chunks per embedding call.");

    public static final ConfigOption<Boolean> REDACT =
            ConfigOptions.key("sluice.backfill.redact").booleanType().defaultValue(false)
                    .withDescription("Replace personal data in documents (titles and text) with typed placeholders "
                            + "before they are chunked, embedded and indexed.");

    public static final ConfigOption<String> TENANT =
            ConfigOptions.key("sluice.backfill.tenant").stringType().defaultValue("default")
                    .withDescription("Tenant of documents that do not name one (JSONL 'tenantId' overrides).");

    public static final ConfigOption<Integer> SHARDS =
            ConfigOptions.key("sluice.backfill.shards").intType().defaultValue(1)
                    .withDescription("Shards per snapshot: each is written by one task, so at most this many tasks "
                            + "embed and index at once; a document's shard is fixed by its tenant and id, so a change "
                            + "rebuilds only the shards it touches. Every question searches every shard, so more shards "
                            + "cost search time (one by default, for corpora one task can build). Part of the "
                            + "snapshot's identity, unlike parallelism.");

    public static final ConfigOption<String> DOCUMENTS =
            ConfigOptions.key("sluice.backfill.documents").stringType().noDefaultValue()
                    .withDescription("File or directory of documents (.md, .markdown, .txt, .jsonl, .jsonl.gz); it "
                            + "must be readable at the same path on the client and every TaskManager.");

    public static final ConfigOption<String> DOCUMENTS_TOPIC =
            ConfigOptions.key("sluice.backfill.documents-topic").stringType().defaultValue("")
                    .withDescription("Kafka topic of document upserts and deletes to read instead of files "
                            + "(brokers: sluice.kafka.bootstrap-servers).");

    public static final ConfigOption<Duration> INGEST_INTERVAL =
            ConfigOptions.key("sluice.ingest.interval").durationType().defaultValue(Duration.ofSeconds(10))
                    .withDescription("Live ingestion: how often the directory is scanned and a checkpoint taken; "
                            + "each checkpoint after a change promotes a snapshot.");

    public static final ConfigOption<String> INGEST_NAME =
            ConfigOptions.key("sluice.ingest.name").stringType().defaultValue("live")
                    .withDescription("Live ingestion: names its staged documents in the index directory; one "
                            + "name per live job.");
}
