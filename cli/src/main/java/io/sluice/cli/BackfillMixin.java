package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.config.BackfillOptions;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;

/** The chunking and embedding options shared by every command that runs a backfill. */
final class BackfillMixin {

    @Option(names = "--chunk-tokens", description = "Largest chunk in model tokens (default: ${DEFAULT-VALUE}).")
    int chunkTokens = BackfillOptions.CHUNK_MAX_TOKENS.defaultValue();

    @Option(names = "--chunk-overlap", description = "Overlap between chunks in tokens (default: ${DEFAULT-VALUE}).")
    int chunkOverlap = BackfillOptions.CHUNK_OVERLAP_TOKENS.defaultValue();

    @Option(names = "--batch-size", description = "Chunks per embedding call (default: ${DEFAULT-VALUE}).")
    int batchSize = BackfillOptions.EMBEDDING_BATCH_SIZE.defaultValue();

    @Option(names = "--model", description = "Embedding model (default: ${DEFAULT-VALUE}).")
    String model = EmbeddingModels.DEFAULT;

    @Option(names = "--shards", description = "Shards per snapshot (as sluice.backfill.shards; default: "
            + "${DEFAULT-VALUE}): at most this many tasks embed and index at once, and a change rebuilds only its shards; "
            + "every question searches each shard.")
    int shards = BackfillOptions.SHARDS.defaultValue();

    @Option(names = "--parallelism", description = "Parallel tasks that read, embed and index (default: ${DEFAULT-VALUE}).")
    int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    @Option(names = "--model-threads", description = "ONNX Runtime intra-op threads per model call (default: ${DEFAULT-VALUE}).")
    int modelThreads = 1;

    @Option(names = "--concurrent-calls", description = "Model calls each embedding task runs at once, one chunk per "
            + "call for the int8 models (as sluice.embedding.concurrent-calls; default: ${DEFAULT-VALUE}: a backfill has the "
            + "machine, and calls at once outrun intra-op threads on the int8 models, which embed a chunk per call).")
    int concurrentCalls = 2;

    @Option(names = "--execution-provider", description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    RuntimeOptions.ExecutionProvider provider = RuntimeOptions.ExecutionProvider.CPU;

    @Option(names = "--redact", description = "Replace personal data in the documents (emails, phone numbers, "
            + "card numbers, IBANs, SSNs, IP addresses, secrets) with placeholders before indexing them.")
    boolean redact = BackfillOptions.REDACT.defaultValue();

    @Option(names = "--redis-uri", description = "Redis of the embedding cache (as sluice.cache.redis-uri): "
            + "chunks whose text it has, embedded by the same model for the same tenant, are not embedded again, "
            + "and new vectors go into it; default: no cache.")
    String redisUri;

    @Option(names = "--embedding-cache-ttl", description = "How long vectors stay in the embedding cache "
            + "(as sluice.cache.embedding-ttl; default: ${DEFAULT-VALUE}).")
    Duration embeddingCacheTtl = ServingOptions.CACHE_EMBEDDING_TTL.defaultValue();

    /**
     * The settings of a backfill of {@code docs} into {@code indexDir}: these options written as the
     * keys the job jar's entry points read, so that both build them in one place
     * ({@link Backfill.Settings#from}).
     */
    Backfill.Settings settings(Path docs, Path indexDir, String tenant) {
        Configuration conf = configuration(indexDir, tenant);
        conf.set(BackfillOptions.DOCUMENTS, docs.toString());
        return Backfill.Settings.from(conf);
    }

    /** These options, with where snapshots go and the tenant of documents that name none, as keys. */
    Configuration configuration(Path indexDir, String tenant) {
        Configuration conf = new Configuration();
        conf.set(ServingOptions.INDEX_DIR, indexDir.toString());
        conf.set(BackfillOptions.TENANT, tenant);
        conf.set(BackfillOptions.CHUNK_MAX_TOKENS, chunkTokens);
        conf.set(BackfillOptions.CHUNK_OVERLAP_TOKENS, chunkOverlap);
        conf.set(BackfillOptions.EMBEDDING_BATCH_SIZE, batchSize);
        conf.set(BackfillOptions.SHARDS, shards);
        conf.set(BackfillOptions.REDACT, redact);
        conf.set(ServingOptions.EMBEDDING_MODEL, model);
        conf.set(ServingOptions.EMBEDDING_INTRA_OP_THREADS, modelThreads);
        conf.set(ServingOptions.EMBEDDING_CONCURRENT_CALLS, concurrentCalls);
        conf.set(ServingOptions.EMBEDDING_EXECUTION_PROVIDER, provider);
        conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
        if (redisUri != null) {
            conf.set(ServingOptions.CACHE_REDIS_URI, redisUri);
            conf.set(ServingOptions.CACHE_EMBEDDING_TTL, embeddingCacheTtl);
        }
        return conf;
    }
}
