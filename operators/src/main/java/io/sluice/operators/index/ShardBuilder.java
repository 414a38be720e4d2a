package io.sluice.operators.index;

import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.chunk.Chunker;
import io.sluice.operators.retrieve.EmbeddingReuse;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.ShardWriter;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.Document;
import io.sluice.schemas.EmbeddedChunk;
import io.sluice.schemas.Hashing;

import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Builds one shard of a snapshot from its documents in (tenant, id) order, streaming: documents →
 * chunks → batches of embeddings → {@link ShardWriter}, so no more than a batch is held.
 *
 * <p>A first pass over the documents computes the shard's key (the content address of its input:
 * format version, chunker, embedding model, the shard's place among the shards, and every
 * document's tenant, id, title and text). A shard the store already has under that key is not
 * built again: a backfill whose documents changed in one shard rebuilds one shard, and a backfill
 * that was stopped resumes with the shards it finished. A shard that was being written when the
 * backfill stopped gives its committed chunks' vectors to the next attempt, which embeds only the
 * rest.
 */
public final class ShardBuilder {

    /** What the builder needs besides documents. */
    public record Settings(int shardCount, String chunkerFingerprint, String embeddingModel, int batchSize)
            implements java.io.Serializable {
        public Settings {
            if (shardCount < 1 || shardCount > MAX_SHARDS) {
                throw new IllegalArgumentException("shards must be between 1 and " + MAX_SHARDS + ", got " + shardCount);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
            }
        }
    }

    /** Embeds chunks that no earlier build has a vector for (the model, an embedding cache, an older snapshot). */
    public interface Embedder {
        List<EmbeddedChunk> embed(List<Chunk> batch) throws Exception;
    }

    /** Opens a shard's documents in (tenant, id) order, afresh at each call. */
    public interface Documents {
        Iterator<Document> open() throws IOException;
    }

    /** Counts progress as the shard is built. */
    public interface Progress {
        /** {@code documents} more documents were indexed, as {@code chunks} chunks of which {@code reused} were not embedded. */
        void indexed(int documents, int chunks, int reused);

        Progress NONE = (documents, chunks, reused) -> {};
    }

    /** A shard and how this run came by it. */
    public record Built(SnapshotManifest.Shard shard, boolean alreadyBuilt, int resumedChunks) {}

    public static final int MAX_SHARDS = 4096;

    private final IndexStore store;
    private final Settings settings;
    private final Chunker chunker;
    private final Embedder embedder;
    private final Progress progress;

    public ShardBuilder(IndexStore store, Settings settings, Chunker chunker, Embedder embedder, Progress progress) {
        this.store = store;
        this.settings = settings;
        this.chunker = chunker;
        this.embedder = embedder;
        this.progress = progress;
    }

    /** The content address of shard {@code shard} holding {@code docs} (in (tenant, id) order). */
    public String key(int shard, Iterator<Document> docs) {
        MessageDigest digest = Hashing.sha256();
        Hashing.update(digest, "sluice-shard-v1");
        Hashing.update(digest, settings.chunkerFingerprint());
        Hashing.update(digest, settings.embeddingModel());
        Hashing.update(digest, shard + "/" + settings.shardCount());
        while (docs.hasNext()) {
            Document d = docs.next();
            Hashing.update(digest, d.tenantId());
            Hashing.update(digest, d.documentId());
            Hashing.update(digest, d.title());
            Hashing.update(digest, d.text());
        }
        return Hashing.hex(digest).substring(0, 32);
    }

    /**
     * Shard {@code shard}: taken from the store if it has it, else built from {@code docs} (called
     * twice: once for the key, once to build) and published into the store.
     */
    public Built build(int shard, Documents docs) throws Exception {
        String key = key(shard, docs.open());
        Optional<SnapshotManifest.Shard> existing = store.shard(key);
        if (existing.isPresent()) {
            SnapshotManifest.Shard s = existing.get();
            progress.indexed(s.documents(), s.chunks(), s.chunks());
            return new Built(s, true, 0);
        }
        Optional<Path> resumeDir = store.resumeShard(key);
        Optional<EmbeddingReuse> resume = resumeDir.isPresent() ? EmbeddingReuse.openCommitted(resumeDir.get())
                : Optional.empty();
        Path building = store.shardBuildDir(key);
        int documents = 0, chunks = 0, embedded = 0, resumed = 0;
        TreeSet<String> tenants = new TreeSet<>();
        long newest = Long.MIN_VALUE;
        List<SnapshotManifest.IndexFile> files;
        try (ShardWriter writer = new ShardWriter(building)) {
            Batch batch = new Batch(writer, resume.orElse(null));
            for (Iterator<Document> it = docs.open(); it.hasNext(); ) {
                Document doc = it.next();
                documents++;
                tenants.add(doc.tenantId());
                newest = Math.max(newest, doc.updatedAt());
                for (Chunk c : chunker.chunk(doc)) {
                    batch.add(c);
                    chunks++;
                }
                if (batch.missing() >= settings.batchSize()) {
                    batch.flush();
                }
            }
            batch.flush();
            embedded = batch.embedded;
            resumed = batch.resumed;
            files = writer.finish();
        } finally {
            if (resume.isPresent()) {
                resume.get().close();
            }
        }
        SnapshotManifest.Shard built = new SnapshotManifest.Shard(SnapshotManifest.shardName(shard), key, documents,
                chunks, embedded, chunks - embedded, List.copyOf(tenants),
                newest == Long.MIN_VALUE ? null : Instant.ofEpochMilli(newest).toString(), files);
        store.publishShard(building, built);
        store.shardResumed(key);
        return new Built(built, false, resumed);
    }

    /**
     * Chunks waiting for their vectors, in document order: those the stopped build had committed
     * take its vectors, the others go to the embedder together once enough are waiting.
     */
    private final class Batch {
        private final ShardWriter writer;
        private final EmbeddingReuse resume;
        private final List<Chunk> pending = new ArrayList<>();
        private final List<float[]> known = new ArrayList<>();
        private final List<Chunk> toEmbed = new ArrayList<>();
        int embedded;
        int resumed;

        Batch(ShardWriter writer, EmbeddingReuse resume) {
            this.writer = writer;
            this.resume = resume;
        }

        void add(Chunk chunk) throws IOException {
            float[] vector = resume == null ? null
                    : resume.find(ChunkEmbedder.contentKey(settings.embeddingModel(), chunk)).orElse(null);
            pending.add(chunk);
            known.add(vector);
            if (vector == null) {
                toEmbed.add(chunk);
            }
        }

        int missing() {
            return toEmbed.size();
        }

        void flush() throws Exception {
            if (pending.isEmpty()) {
                return;
            }
            List<EmbeddedChunk> computed = toEmbed.isEmpty() ? List.of() : embedder.embed(toEmbed);
            int next = 0, reused = 0, docs = 0;
            for (int i = 0; i < pending.size(); i++) {
                Chunk c = pending.get(i);
                EmbeddedChunk e;
                if (known.get(i) != null) {
                    e = new EmbeddedChunk(c, ChunkEmbedder.contentKey(settings.embeddingModel(), c), known.get(i), true);
                    resumed++;
                } else {
                    e = computed.get(next++);
                }
                reused += e.reused() ? 1 : 0;
                embedded += e.reused() ? 0 : 1;
                docs += c.position() == c.chunksInDocument() - 1 ? 1 : 0;
                writer.add(e);
            }
            progress.indexed(docs, pending.size(), reused);
            pending.clear();
            known.clear();
            toEmbed.clear();
        }
    }
}
