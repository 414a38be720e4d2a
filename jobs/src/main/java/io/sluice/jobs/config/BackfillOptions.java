package io.sluice.jobs.config;

import io.sluice.operators.chunk.ChunkerSettings;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/** Settings of the backfill job. */
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

    public static final ConfigOption<String> DEFAULT_TENANT =
            ConfigOptions.key("sluice.backfill.tenant").stringType().defaultValue("default")
                    .withDescription("Tenant of documents that do not name one (JSONL 'tenantId' overrides).");

    public static final ConfigOption<Integer> SHARDS =
            ConfigOptions.key("sluice.backfill.shards").intType().defaultValue(4)
                    .withDescription("Shards per snapshot: each is written by one task, so at most this many tasks "
                            + "embed and index at once; a document's shard is fixed by its tenant and id, so a change "
                            + "rebuilds only the shards it touches. Part of the snapshot's identity, unlike parallelism.");
}
