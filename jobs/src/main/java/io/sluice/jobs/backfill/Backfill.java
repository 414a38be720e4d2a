package io.sluice.jobs.backfill;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.ModelCard;
import io.sluice.operators.cache.EmbeddingCache;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.flink.ChunkFunction;
import io.sluice.operators.guard.PiiDetector;
import io.sluice.operators.guard.PiiRedactor;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.flink.MicroBatchOperator;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.operators.retrieve.SnapshotWriter;
import io.sluice.schemas.Hashing;
import io.sluice.schemas.ChunkCodec;
import io.sluice.schemas.Document;
import io.sluice.schemas.EmbeddedChunk;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.util.CloseableIterator;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The backfill: documents → chunks → embeddings → one immutable, content-addressed index snapshot.
 *
 * <p>The snapshot id hashes every input that shapes the index: each document's tenant, id, title
 * and text, the chunker settings and the embedding model id and version. It is computed before any
 * work, so an unchanged input is recognised at once and nothing runs. Chunking and micro-batched
 * embedding run as a Flink job in batch execution mode; chunks whose content key is in the previously promoted
 * snapshot reuse its vectors, so a changed document re-embeds only its own chunks. The index is
 * written by one writer in a fixed order, then promoted.
 */
public final class Backfill {

    /** How to backfill. */
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
            EmbeddingCache.Settings embeddingCache) {

        /** Settings without an embedding cache. */
        public Settings(Path docs, Path indexDir, String defaultTenant, ChunkerSettings chunker, String embeddingModel,
                int batchSize, RuntimeOptions runtime, int parallelism, boolean redact) {
            this(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism, redact, null);
        }

        /** These settings, with vectors looked up in and added to {@code cache} (null: none). */
        public Settings withEmbeddingCache(EmbeddingCache.Settings cache) {
            return new Settings(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism,
                    redact, cache);
        }

        /** Settings that index documents as they are. */
        public Settings(Path docs, Path indexDir, String defaultTenant, ChunkerSettings chunker, String embeddingModel,
                int batchSize, RuntimeOptions runtime, int parallelism) {
            this(docs, indexDir, defaultTenant, chunker, embeddingModel, batchSize, runtime, parallelism, false);
        }
    }

    /** What a backfill produced. */
    public record Result(String snapshotId, boolean upToDate, SnapshotManifest manifest, int fromCache) {

        /** A result without an embedding cache. */
        public Result(String snapshotId, boolean upToDate, SnapshotManifest manifest) {
            this(snapshotId, upToDate, manifest, 0);
        }
    }

    /** Batches fill from a bounded input; the wait only bounds a trickle at the very end. */
    private static final Duration BATCH_MAX_WAIT = Duration.ofSeconds(1);

    private final Settings settings;
    private final PrintWriter log;
    /** Chunks of the last run whose vector came from the embedding cache. */
    private int cachedChunks;

    public Backfill(Settings settings, PrintWriter log) {
        this.settings = settings;
        this.log = log;
    }

    /** Every document with personal data in its title and text replaced by placeholders numbered per document. */
    private List<Document> redacted(List<Document> docs) {
        PiiDetector detector = new PiiDetector();
        Map<String, Integer> counts = new java.util.TreeMap<>();
        int changed = 0;
        List<Document> out = new ArrayList<>(docs.size());
        for (Document d : docs) {
            PiiRedactor redactor = new PiiRedactor(detector);
            PiiRedactor.Redaction title = redactor.redact(d.title() == null ? "" : d.title());
            PiiRedactor.Redaction text = redactor.redact(d.text());
            if (title.changed() || text.changed()) {
                changed++;
                title.counts().forEach((type, n) -> counts.merge(type.name(), n, Integer::sum));
                text.counts().forEach((type, n) -> counts.merge(type.name(), n, Integer::sum));
            }
            out.add(new Document(d.tenantId(), d.documentId(), d.title() == null ? null : title.text(), text.text(),
                    d.updatedAt()));
        }
        log.printf("backfill: redacted personal data in %d of %d documents %s%n", changed, docs.size(),
                counts.isEmpty() ? "(none found)" : counts);
        return out;
    }

    public Result run() throws Exception {
        IndexStore store = new IndexStore(settings.indexDir());
        List<Document> docs = DocumentReader.read(settings.docs(), settings.defaultTenant());
        if (docs.isEmpty()) {
            throw new IOException("No documents (.md, .markdown, .txt, .jsonl, .jsonl.gz) under " + settings.docs());
        }
        if (settings.redact()) {
            // Before chunking: the snapshot is content-addressed, so redacted documents make their own.
            docs = redacted(docs);
        }
        ModelCard card = EmbeddingModels.card(settings.embeddingModel());
        String snapshotId = snapshotId(docs, settings.chunker(), card);
        if (store.exists(snapshotId)) {
            if (!snapshotId.equals(store.latest().orElse(null))) {
                store.promote(snapshotId);
            }
            log.printf("backfill: %d documents unchanged; snapshot %s is up to date%n", docs.size(), snapshotId);
            return new Result(snapshotId, true, SnapshotManifest.read(store.snapshotDir(snapshotId)));
        }

        String previous = reusableSnapshot(store, card).map(id -> store.snapshotDir(id).toString()).orElse(null);
        log.printf("backfill: %d documents -> snapshot %s (model %s, %s)%n", docs.size(), snapshotId,
                card.qualifiedId(), settings.chunker().fingerprint());

        List<EmbeddedChunk> chunks = embed(docs, card, previous);
        int reused = (int) chunks.stream().filter(EmbeddedChunk::reused).count();
        TreeSet<String> tenants = new TreeSet<>();
        docs.forEach(d -> tenants.add(d.tenantId()));
        long newest = docs.stream().mapToLong(Document::updatedAt).max().orElse(0L);
        SnapshotManifest manifest = new SnapshotManifest(snapshotId, Instant.ofEpochMilli(newest).toString(),
                card.qualifiedId(), card.dimension(), settings.chunker().fingerprint(), docs.size(),
                chunks.size(), chunks.size() - reused, reused, List.copyOf(tenants));
        SnapshotWriter.write(store, manifest, chunks);
        store.promote(snapshotId);
        log.printf("backfill: wrote snapshot %s: %d chunks (%d embedded, %d reused) in %s%n", snapshotId,
                chunks.size(), chunks.size() - reused, reused, store.snapshotDir(snapshotId));
        return new Result(snapshotId, false, manifest, cachedChunks);
    }

    private List<EmbeddedChunk> embed(List<Document> docs, ModelCard card, String previous) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.setParallelism(settings.parallelism());

        var chunks = env.fromData(docs, Document.TYPE).name("documents")
                .flatMap(new ChunkFunction(settings.chunker(), settings.embeddingModel()))
                .returns(ChunkCodec.TYPE).name("chunk");
        var embedded = MicroBatchOperator.apply(chunks, "embed", EmbeddedChunk.TYPE,
                new ChunkEmbedder(settings.embeddingModel(), settings.runtime(), previous, settings.embeddingCache()),
                settings.batchSize(), BATCH_MAX_WAIT);

        // Collected results reach the client in large batches (at the end in batch mode), so
        // progress comes from the embed stage's accumulators, which running tasks report.
        CloseableIterator<EmbeddedChunk> results = embedded.collectAsync();
        JobClient job = env.executeAsync("sluice-backfill");
        Progress progress = new Progress(log, "backfill", "documents", docs.size());
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(
                r -> new Thread(r, "sluice-backfill-progress"));
        poller.scheduleWithFixedDelay(() -> report(job, progress), 1, 1, TimeUnit.SECONDS);
        List<EmbeddedChunk> out = new ArrayList<>();
        try (results) {
            results.forEachRemaining(out::add);
        } finally {
            poller.shutdownNow();
        }
        int reused = (int) out.stream().filter(EmbeddedChunk::reused).count();
        Object cached = job.getJobExecutionResult().get().getAccumulatorResult(ChunkEmbedder.CHUNKS_CACHED);
        cachedChunks = cached instanceof Integer n ? n : 0;
        progress.finish(docs.size(), out.size() + " chunks (" + reused + " reused"
                + (settings.embeddingCache() == null ? "" : ", " + cachedChunks + " from the embedding cache") + ")");
        return out;
    }

    private static void report(JobClient job, Progress progress) {
        try {
            Map<String, Object> acc = job.getAccumulators().get(5, TimeUnit.SECONDS);
            Object docs = acc.get(ChunkEmbedder.DOCUMENTS_DONE);
            if (docs instanceof Integer done) {
                progress.update(done, acc.get(ChunkEmbedder.CHUNKS_DONE) + " chunks ("
                        + acc.get(ChunkEmbedder.CHUNKS_REUSED) + " reused)");
            }
        } catch (Exception e) {
            // Progress is best effort; the job's own outcome is reported by the collecting thread.
        }
    }

    /** The promoted snapshot, if it was made with the same embedding model. */
    private static Optional<String> reusableSnapshot(IndexStore store, ModelCard card) throws IOException {
        Optional<String> latest = store.latest();
        if (latest.isEmpty() || !store.exists(latest.get())) {
            return Optional.empty();
        }
        SnapshotManifest m = SnapshotManifest.read(store.snapshotDir(latest.get()));
        return card.qualifiedId().equals(m.embeddingModel()) ? latest : Optional.empty();
    }

    /** The content address of a snapshot of {@code docs} (sorted by tenant and id). */
    public static String snapshotId(List<Document> docs, ChunkerSettings chunker, ModelCard card) {
        MessageDigest digest = Hashing.sha256();
        // v2: chunks carry their token counts in the index.
        Hashing.update(digest, "sluice-snapshot-v2");
        Hashing.update(digest, chunker.fingerprint());
        Hashing.update(digest, card.qualifiedId());
        for (Document d : docs) {
            Hashing.update(digest, d.tenantId());
            Hashing.update(digest, d.documentId());
            Hashing.update(digest, d.title());
            Hashing.update(digest, d.text());
        }
        return Hashing.hex(digest).substring(0, 32);
    }
}
