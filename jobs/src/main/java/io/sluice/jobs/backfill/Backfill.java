package io.sluice.jobs.backfill;

import io.sluice.jobs.config.BackfillOptions;
import io.sluice.jobs.config.KafkaClientProperties;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.model.ConcurrentEmbedding;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.ModelCard;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.cache.EmbeddingCache;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.flink.ShardBuildOperator;
import io.sluice.operators.index.ShardBuilder;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.schemas.Document;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The backfill: documents → shards → chunks → embeddings → one immutable, content-addressed index
 * snapshot, promoted when complete.
 *
 * <p>Documents come from files ({@link DocumentFormat} in a {@code FileSource}) or from a Kafka
 * topic of upserts and deletes read to its end ({@link DocumentDeserializer}); the client never
 * holds them. Each document goes to its shard ({@link SnapshotManifest#shardOf}); shard {@code s} is
 * built by subtask {@code s mod parallelism} of the {@code index} stage ({@link ShardBuildOperator}),
 * which stages its documents sorted on local disk, then chunks, embeds and writes each of its
 * shards in (tenant, id) order. A shard's key hashes its input, and the snapshot id hashes the
 * keys, the model and the chunker: the same documents give the same snapshot whatever the
 * parallelism, an unchanged shard is taken from the shard store instead of being built again, and
 * a backfill that stopped resumes from the shards it finished. Chunks whose content key is in the
 * previously promoted snapshot reuse its vectors.
 */
public final class Backfill {

    /** How to backfill. {@code docs} is a file or directory, unless {@code kafka} names a topic to read instead. */
    public record Settings(
            Path docs,
            Path indexDir,
            String defaultTenant,
            ChunkerSettings chunker,
            String embeddingModel,
            int batchSize,
            RuntimeOptions runtime,
            int parallelism,
            boolean redact,
            EmbeddingCache.Settings embeddingCache,
            int shards,
            KafkaInput kafka,
            int concurrentCalls) {

        /** Settings without an embedding cache. */
        public Settings(Path docs, Path indexDir, String defaultTenant, ChunkerSettings chunker, String embeddingModel,
                int batchSize, RuntimeOptions runtime, int parallelism, boolean redact) {
            this(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism, redact, null,
                    BackfillOptions.SHARDS.defaultValue(), null, 1);
        }

        /** These settings, with vectors looked up in and added to {@code cache} (null: none). */
        public Settings withEmbeddingCache(EmbeddingCache.Settings cache) {
            return new Settings(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism,
                    redact, cache, shards, kafka, concurrentCalls);
        }

        /** These settings, with {@code n} shards per snapshot. */
        public Settings withShards(int n) {
            return new Settings(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism,
                    redact, embeddingCache, n, kafka, concurrentCalls);
        }

        /** These settings, reading documents from a Kafka topic instead of files. */
        public Settings withKafka(KafkaInput input) {
            return new Settings(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism,
                    redact, embeddingCache, shards, input, concurrentCalls);
        }

        /**
         * What to tell a user whose parallelism exceeds the shards (empty when it does not): a shard is
         * built by one task, so the other tasks would have nothing to embed.
         */
        public Optional<String> unusedParallelism() {
            if (parallelism <= shards) {
                return Optional.empty();
            }
            return Optional.of(String.format(java.util.Locale.ROOT, "parallelism %d, but %s: %s and %d %s nothing "
                    + "to do; --shards %d (%s) lets all %d embed and index, at some search time per shard",
                    parallelism, shards == 1 ? "1 shard" : shards + " shards",
                    shards == 1 ? "1 task builds it" : shards + " tasks build them", parallelism - shards,
                    parallelism - shards == 1 ? "has" : "have", parallelism, BackfillOptions.SHARDS.key(), parallelism));
        }

        /** These settings, with each embedding task running {@code calls} model calls at once over the parts of a batch. */
        public Settings withConcurrentCalls(int calls) {
            return new Settings(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism,
                    redact, embeddingCache, shards, kafka, ConcurrentEmbedding.requireCalls(calls));
        }

        /** Settings that index documents as they are. */
        public Settings(Path docs, Path indexDir, String defaultTenant, ChunkerSettings chunker, String embeddingModel,
                int batchSize, RuntimeOptions runtime, int parallelism) {
            this(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism, false);
        }

        /**
         * The settings {@code conf} gives (the job jar's entry points): {@link BackfillOptions}, the
         * serving job's keys for what both sides share, and Flink's {@code parallelism.default} (what
         * {@code flink run -p} sets). Errors name the key that is missing.
         */
        public static Settings from(ReadableConfig conf) {
            String topic = conf.get(BackfillOptions.DOCUMENTS_TOPIC).strip();
            Optional<String> docs = conf.getOptional(BackfillOptions.DOCUMENTS);
            if (topic.isEmpty() && docs.isEmpty()) {
                throw new IllegalArgumentException("Set " + BackfillOptions.DOCUMENTS.key() + " (a file or directory of "
                        + "documents) or " + BackfillOptions.DOCUMENTS_TOPIC.key() + " (a Kafka topic)");
            }
            String indexDir = conf.getOptional(ServingOptions.INDEX_DIR).orElseThrow(() -> new IllegalArgumentException(
                    "Set " + ServingOptions.INDEX_DIR.key() + " (where snapshots go)"));
            String model = conf.get(ServingOptions.EMBEDDING_MODEL).isBlank() ? EmbeddingModels.DEFAULT
                    : conf.get(ServingOptions.EMBEDDING_MODEL);
            Settings settings = new Settings(docs.map(Path::of).orElse(null), Path.of(indexDir),
                    conf.get(BackfillOptions.TENANT), new ChunkerSettings(conf.get(BackfillOptions.CHUNK_MAX_TOKENS),
                            conf.get(BackfillOptions.CHUNK_OVERLAP_TOKENS)), model,
                    conf.get(BackfillOptions.EMBEDDING_BATCH_SIZE), new RuntimeOptions(
                            conf.get(ServingOptions.EMBEDDING_INTRA_OP_THREADS), conf.get(ServingOptions.EMBEDDING_INTER_OP_THREADS),
                            conf.get(ServingOptions.EMBEDDING_EXECUTION_PROVIDER)),
                    conf.get(CoreOptions.DEFAULT_PARALLELISM), conf.get(BackfillOptions.REDACT))
                    .withShards(conf.get(BackfillOptions.SHARDS))
                    .withConcurrentCalls(conf.get(ServingOptions.EMBEDDING_CONCURRENT_CALLS));
            if (!topic.isEmpty()) {
                settings = settings.withKafka(new KafkaInput(conf.get(ServingOptions.KAFKA_BOOTSTRAP_SERVERS), topic,
                        KafkaClientProperties.from(conf)));
            }
            String redis = conf.get(ServingOptions.CACHE_REDIS_URI);
            Duration ttl = conf.get(ServingOptions.CACHE_EMBEDDING_TTL);
            return redis.isBlank() || ttl.isZero() ? settings
                    : settings.withEmbeddingCache(new EmbeddingCache.Settings(redis, ttl, CACHE_WAIT));
        }
    }

    /** How long a backfill waits per batch for its embedding-cache lookups (serving never waits). */
    public static final Duration CACHE_WAIT = Duration.ofMillis(50);

    /** A topic of document upserts and deletes, read from its start to the end it has when the backfill starts. */
    /**
     * Documents from a Kafka topic.
     *
     * @param properties Kafka client properties ({@code sluice.kafka.properties.*}), e.g. a secured
     *     cluster's; see {@link KafkaClientProperties}
     */
    public record KafkaInput(String bootstrapServers, String topic, Map<String, String> properties) {
        public KafkaInput {
            properties = Map.copyOf(properties);
        }
    }

    /** What a backfill produced. {@code builtShards} of its shards were built by this run, the others taken from the store. */
    public record Result(String snapshotId, boolean upToDate, SnapshotManifest manifest, int fromCache,
            int builtShards) {}

    private final Settings settings;
    private final PrintWriter log;

    public Backfill(Settings settings, PrintWriter log) {
        this.settings = settings;
        this.log = log;
    }

    public Result run() throws Exception {
        IndexStore store = new IndexStore(settings.indexDir());
        ModelCard card = EmbeddingModels.card(settings.embeddingModel());
        if (settings.kafka() == null && !Files.exists(settings.docs())) {
            throw new IOException("Documents not found: " + settings.docs());
        }
        String previous = reusableSnapshot(store, card).map(id -> store.snapshotDir(id).toString()).orElse(null);
        log.printf("backfill: %s -> %d shards (model %s, %s)%n", settings.kafka() == null ? settings.docs()
                : "topic " + settings.kafka().topic(), settings.shards(), card.qualifiedId(),
                settings.chunker().fingerprint());
        settings.unusedParallelism().ifPresent(note -> log.println("backfill: " + note));

        Outcome outcome = build(card, previous);
        List<SnapshotManifest.Shard> shards = outcome.built().stream().map(ShardBuilder.Built::shard).toList();
        int documents = shards.stream().mapToInt(SnapshotManifest.Shard::documents).sum();
        if (documents == 0) {
            throw new IOException(settings.kafka() == null
                    ? "No documents (.md, .markdown, .txt, .jsonl, .jsonl.gz) under " + settings.docs()
                    : "No documents in topic " + settings.kafka().topic());
        }
        int builtShards = (int) outcome.built().stream().filter(b -> !b.alreadyBuilt()).count();
        String snapshotId = SnapshotManifest.snapshotId(card.qualifiedId(), settings.chunker().fingerprint(), shards);
        if (store.exists(snapshotId)) {
            if (!snapshotId.equals(store.latest().orElse(null))) {
                store.promote(snapshotId);
            }
            log.printf("backfill: %d documents unchanged; snapshot %s is up to date%n", documents, snapshotId);
            return new Result(snapshotId, true, SnapshotManifest.read(store.snapshotDir(snapshotId)), outcome.cached(),
                    builtShards);
        }
        SnapshotManifest manifest = SnapshotManifest.of(snapshotId, card.qualifiedId(), card.dimension(),
                settings.chunker().fingerprint(), shards);
        store.publishSnapshot(manifest);
        store.promote(snapshotId);
        log.printf("backfill: wrote snapshot %s: %d documents, %d chunks in %d shards (%d built now, %d unchanged) "
                + "in %s%n", snapshotId, documents, manifest.chunks(), shards.size(), builtShards,
                shards.size() - builtShards, store.snapshotDir(snapshotId));
        return new Result(snapshotId, false, manifest, outcome.cached(), builtShards);
    }

    /** The shards the job built or found, in shard order, and how many vectors came from the embedding cache. */
    private record Outcome(List<ShardBuilder.Built> built, int cached) {}

    private Outcome build(ModelCard card, String previous) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.setParallelism(settings.parallelism());

        int shardCount = settings.shards();
        ShardBuildOperator index = new ShardBuildOperator(settings.indexDir().toAbsolutePath().toString(),
                new ShardBuilder.Settings(shardCount, settings.chunker().fingerprint(), card.qualifiedId(),
                        settings.batchSize()),
                settings.chunker(), settings.embeddingModel(),
                new ChunkEmbedder(settings.embeddingModel(), settings.runtime(), settings.concurrentCalls(), previous,
                        settings.embeddingCache()),
                settings.kafka() != null, settings.redact());
        DataStream<Document> documents = DocumentSources.of(env, settings, null, "sluice-backfill");
        DataStream<String> shards = documents
                .partitionCustom(new ByShard(), new ShardOf(shardCount))
                .transform("index", Types.STRING, index).name("index")
                // More tasks than shards would idle.
                .setParallelism(Math.min(settings.parallelism(), shardCount));

        CloseableIterator<String> results = shards.collectAsync();
        JobClient job = env.executeAsync("sluice-backfill");
        ProgressReport progress = new ProgressReport(log, shardCount);
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
                r -> new Thread(r, "sluice-backfill-progress"));
        poller.scheduleWithFixedDelay(() -> progress.poll(job), 1, 1, TimeUnit.SECONDS);
        List<ShardBuilder.Built> built = new ArrayList<>();
        try (results) {
            while (results.hasNext()) {
                built.add(ShardBuildOperator.parse(results.next()));
            }
        } catch (RuntimeException e) {
            throw failure(e);
        } finally {
            poller.shutdownNow();
        }
        Map<String, Object> accumulators;
        try {
            accumulators = job.getJobExecutionResult().get().getAllAccumulatorResults();
        } catch (java.util.concurrent.ExecutionException e) {
            throw failure(e);
        }
        built.sort(Comparator.comparing(b -> b.shard().name()));
        if (built.size() != shardCount) {
            throw new IllegalStateException("The backfill job returned " + built.size() + " of " + shardCount
                    + " shards");
        }
        int cached = accumulators.get(ChunkEmbedder.CHUNKS_CACHED) instanceof Integer n ? n : 0;
        progress.finish(accumulators, cached, settings.embeddingCache() != null);
        return new Outcome(built, cached);
    }

    /** Sends shard {@code s} to subtask {@code s mod parallelism}, the one that builds it. */
    static final class ByShard implements Partitioner<Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public int partition(Integer shard, int numPartitions) {
            return shard % numPartitions;
        }
    }

    static final class ShardOf implements KeySelector<Document, Integer> {
        private static final long serialVersionUID = 1L;
        private final int shards;

        ShardOf(int shards) {
            this.shards = shards;
        }

        @Override
        public Integer getKey(Document d) {
            // An unreadable input belongs to no shard; any index task counts it.
            return d.unreadable() ? 0 : SnapshotManifest.shardOf(d.tenantId(), d.documentId(), shards);
        }
    }

    /**
     * The failure of a backfill job as the user should read it: the first cause that explains
     * itself (a file and line, a duplicate id), not Flink's wrappers around it.
     */
    static Exception failure(Throwable e) {
        Throwable explained = null;
        for (Throwable cause = e; cause != null && cause != explained; cause = cause.getCause()) {
            if (cause instanceof IOException || cause instanceof IllegalArgumentException) {
                explained = cause;
            }
        }
        if (explained != null) {
            return new IOException("Backfill failed: " + explained.getMessage(), e);
        }
        return e instanceof Exception ex ? ex : new RuntimeException(e);
    }

    /** Progress of the running job, from the accumulators of its {@code index} stage. */
    private static final class ProgressReport {
        private final PrintWriter log;
        private final int shards;
        private Progress progress;

        ProgressReport(PrintWriter log, int shards) {
            this.log = log;
            this.shards = shards;
        }

        void poll(JobClient job) {
            try {
                Map<String, Object> acc = job.getAccumulators().get(5, TimeUnit.SECONDS);
                int read = acc.get(ShardBuildOperator.DOCUMENTS_READ) instanceof Integer n ? n : 0;
                int done = acc.get(ShardBuildOperator.DOCUMENTS_DONE) instanceof Integer n ? n : 0;
                if (progress == null && done == 0) {
                    if (read > 0) {
                        log.printf("backfill: read %d documents%n", read);
                        log.flush();
                    }
                    return;
                }
                if (progress == null) {
                    // Every document is read before the first shard is built (batch execution).
                    progress = new Progress(log, "backfill", "documents", read);
                }
                progress.update(done, acc.get(ShardBuildOperator.CHUNKS_DONE) + " chunks ("
                        + acc.get(ShardBuildOperator.CHUNKS_REUSED) + " reused), "
                        + acc.get(ShardBuildOperator.SHARDS_DONE) + "/" + shards + " shards");
            } catch (Exception e) {
                // Progress is best effort; the job's own outcome is reported by the collecting thread.
            }
        }

        void finish(Map<String, Object> acc, int cached, boolean cache) {
            int read = acc.get(ShardBuildOperator.DOCUMENTS_READ) instanceof Integer n ? n : 0;
            Progress last = progress != null ? progress : new Progress(log, "backfill", "documents", read);
            int done = acc.get(ShardBuildOperator.DOCUMENTS_DONE) instanceof Integer n ? n : 0;
            last.finish(done, acc.get(ShardBuildOperator.CHUNKS_DONE) + " chunks ("
                    + acc.get(ShardBuildOperator.CHUNKS_REUSED) + " reused"
                    + (cache ? ", " + cached + " from the embedding cache" : "") + ")");
            if (acc.get(ShardBuildOperator.SKIPPED) instanceof Integer skipped && skipped > 0) {
                log.printf("backfill: skipped %d records that are not documents (the TaskManager log names each)%n",
                        skipped);
            }
            if (acc.get(ShardBuildOperator.REDACTED_DOCUMENTS) instanceof Integer redacted) {
                Map<String, Integer> counts = new TreeMap<>();
                acc.forEach((name, value) -> {
                    if (name.startsWith(ShardBuildOperator.REDACTED_PREFIX) && value instanceof Integer n && n > 0) {
                        counts.put(name.substring(ShardBuildOperator.REDACTED_PREFIX.length()), n);
                    }
                });
                log.printf("backfill: redacted personal data in %d of %d documents %s%n", redacted, read,
                        counts.isEmpty() ? "(none found)" : counts);
            }
        }
    }

    /** The promoted snapshot, if it was made with the same embedding model. */
    static Optional<String> reusableSnapshot(IndexStore store, ModelCard card) throws IOException {
        Optional<String> latest = store.latest();
        if (latest.isEmpty() || !store.exists(latest.get())) {
            return Optional.empty();
        }
        SnapshotManifest m = SnapshotManifest.read(store.snapshotDir(latest.get()));
        return card.qualifiedId().equals(m.embeddingModel()) ? latest : Optional.empty();
    }

}
