package io.sluice.operators.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.model.TinyEncoder;
import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.chunk.Chunker;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.ShardWriter;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.Document;
import io.sluice.schemas.EmbeddedChunk;

import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

class ShardBuilderTest {

    static final int SHARDS = 3;
    static EmbeddingModel model;
    static HfTokenizer tokenizer;
    static String modelId;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadModel(@TempDir Path modelDir) {
        Path path = TinyEncoder.write(modelDir.resolve("tiny"));
        model = EmbeddingModels.open(path.toString(), 1);
        tokenizer = EmbeddingModels.tokenizer(path.toString());
        modelId = model.card().qualifiedId();
    }

    @AfterAll
    static void close() {
        model.close();
        tokenizer.close();
    }

    /** Embeds with the tiny model, counting what it embeds; fails on call {@code failOnCall} (0: never). */
    static final class Counting implements ShardBuilder.Embedder {
        final AtomicInteger embedded = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();
        final int failOnCall;

        Counting(int failOnCall) {
            this.failOnCall = failOnCall;
        }

        @Override
        public List<EmbeddedChunk> embed(List<Chunk> batch) {
            if (calls.incrementAndGet() == failOnCall) {
                throw new IllegalStateException("killed");
            }
            embedded.addAndGet(batch.size());
            List<float[]> vectors = model.embed(batch.stream().map(Chunk::embeddingInput).toList());
            List<EmbeddedChunk> out = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                out.add(new EmbeddedChunk(batch.get(i), ChunkEmbedder.contentKey(modelId, batch.get(i)), vectors.get(i),
                        false));
            }
            return out;
        }
    }

    static List<Document> corpus(int n) {
        List<String> words = TinyEncoder.WORDS;
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String text = words.get(i % words.size()) + " " + words.get((i * 7) % words.size()) + " "
                    + words.get((i * 13) % words.size()) + ".";
            docs.add(new Document(i % 2 == 0 ? "acme" : "globex", "doc-" + i, "T" + i, text, 1000L + i));
        }
        return docs;
    }

    ShardBuilder builder(IndexStore store, ShardBuilder.Embedder embedder) {
        return new ShardBuilder(store, new ShardBuilder.Settings(SHARDS, "test-chunker", modelId, 16),
                new Chunker(new ChunkerSettings(64, 8), tokenizer), embedder, ShardBuilder.Progress.NONE);
    }

    /** Stages {@code docs} in the order given and builds every shard. */
    List<ShardBuilder.Built> buildAll(IndexStore store, List<Document> docs, ShardBuilder.Embedder embedder,
            String stagingName) throws Exception {
        try (DocumentStaging staging = new DocumentStaging(dir.resolve(stagingName), false, 4)) {
            for (Document d : docs) {
                staging.add(SnapshotManifest.shardOf(d.tenantId(), d.documentId(), SHARDS), d);
            }
            staging.finish();
            ShardBuilder b = builder(store, embedder);
            List<ShardBuilder.Built> out = new ArrayList<>();
            for (int s = 0; s < SHARDS; s++) {
                int shard = s;
                out.add(b.build(shard, () -> staging.documents(shard)));
            }
            return out;
        }
    }

    /** Chunk ids of a shard in doc id order. */
    static List<String> chunkIds(IndexStore store, String key) throws Exception {
        try (FSDirectory d = FSDirectory.open(store.shardDir(key)); DirectoryReader r = DirectoryReader.open(d)) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < r.maxDoc(); i++) {
                ids.add(r.storedFields().document(i).get("chunk_id"));
            }
            assertThat(r.leaves()).hasSize(1);
            return ids;
        }
    }

    @Test
    void shardsComeOutTheSameWhateverOrderTheDocumentsArriveIn() throws Exception {
        long seed = System.nanoTime();
        System.out.println("ShardBuilderTest seed " + seed);
        List<Document> docs = corpus(300);
        List<Document> shuffled = new ArrayList<>(docs);
        Collections.shuffle(shuffled, new Random(seed));

        IndexStore a = new IndexStore(dir.resolve("a"));
        IndexStore b = new IndexStore(dir.resolve("b"));
        List<ShardBuilder.Built> first = buildAll(a, docs, new Counting(0), "s1");
        List<ShardBuilder.Built> second = buildAll(b, shuffled, new Counting(0), "s2");
        int total = 0;
        for (int s = 0; s < SHARDS; s++) {
            SnapshotManifest.Shard x = first.get(s).shard(), y = second.get(s).shard();
            assertThat(y.key()).isEqualTo(x.key());
            assertThat(y.name()).isEqualTo("shard-00" + s);
            assertThat(chunkIds(b, y.key())).isEqualTo(chunkIds(a, x.key()));
            total += x.documents();
            for (String id : chunkIds(a, x.key())) {
                String docId = id.substring(0, id.indexOf('#'));
                String tenant = Integer.parseInt(docId.substring(4)) % 2 == 0 ? "acme" : "globex";
                assertThat(SnapshotManifest.shardOf(tenant, docId, SHARDS)).as(id).isEqualTo(s);
            }
        }
        assertThat(total).isEqualTo(docs.size());
    }

    @Test
    void anUnchangedShardIsTakenFromTheStoreAndAChangedOneRebuilt() throws Exception {
        IndexStore store = new IndexStore(dir.resolve("index"));
        List<Document> docs = corpus(60);
        Counting embedder = new Counting(0);
        buildAll(store, docs, embedder, "s1");
        int firstRun = embedder.embedded.get();

        Counting again = new Counting(0);
        assertThat(buildAll(store, docs, again, "s2")).allMatch(ShardBuilder.Built::alreadyBuilt);
        assertThat(again.embedded.get()).isZero();

        List<Document> changed = new ArrayList<>(docs);
        Document d = changed.get(5);
        changed.set(5, new Document(d.tenantId(), d.documentId(), d.title(), d.text() + " " + TinyEncoder.WORDS.get(9),
                d.updatedAt()));
        Counting third = new Counting(0);
        List<ShardBuilder.Built> built = buildAll(store, changed, third, "s3");
        int shard = SnapshotManifest.shardOf(d.tenantId(), d.documentId(), SHARDS);
        for (int s = 0; s < SHARDS; s++) {
            assertThat(built.get(s).alreadyBuilt()).as("shard " + s).isEqualTo(s != shard);
        }
        assertThat(third.embedded.get()).isPositive().isLessThan(firstRun);
    }

    @Test
    void aStoppedBuildResumesWithTheVectorsItCommitted() throws Exception {
        IndexStore store = new IndexStore(dir.resolve("index"));
        // A chunk per document, about 6,000 in shard 0: one commit before the failure, in shard 0.
        List<Document> docs = corpus(SHARDS * ShardWriter.COMMIT_EVERY * 3 / 2);
        int failAt = ShardWriter.COMMIT_EVERY / 16 + 20;
        assertThatThrownBy(() -> buildAll(store, docs, new Counting(failAt), "s1")).hasMessageContaining("killed");

        Counting resumed = new Counting(0);
        List<ShardBuilder.Built> built = buildAll(store, docs, resumed, "s2");
        ShardBuilder.Built shard0 = built.get(0);
        assertThat(shard0.resumedChunks()).isEqualTo(ShardWriter.COMMIT_EVERY);
        int chunks = built.stream().mapToInt(b -> b.shard().chunks()).sum();
        assertThat(resumed.embedded.get()).isEqualTo(chunks - ShardWriter.COMMIT_EVERY);

        // The resumed shard is the same as one built in one go.
        IndexStore fresh = new IndexStore(dir.resolve("fresh"));
        List<ShardBuilder.Built> clean = buildAll(fresh, docs, new Counting(0), "s3");
        assertThat(chunkIds(store, shard0.shard().key())).isEqualTo(chunkIds(fresh, clean.get(0).shard().key()));
        assertThat(store.resumeShard(shard0.shard().key())).isEmpty();
    }

    @Test
    void duplicatesAreRefusedUnlessTheInputIsUpserts() throws Exception {
        Document one = new Document("acme", "x", "X", TinyEncoder.WORDS.get(1), 1);
        Document two = new Document("acme", "x", "X", TinyEncoder.WORDS.get(2), 2);
        int shard = SnapshotManifest.shardOf("acme", "x", SHARDS);
        try (DocumentStaging staging = new DocumentStaging(dir.resolve("dup"), false, 4)) {
            staging.add(shard, one);
            staging.add(shard, two);
            staging.finish();
            assertThatThrownBy(() -> staging.documents(shard).next())
                    .hasMessageContaining("Duplicate document id 'x' in tenant 'acme'");
        }
        try (DocumentStaging staging = new DocumentStaging(dir.resolve("ups"), true, 4)) {
            staging.add(shard, one);
            staging.add(shard, two);
            Document gone = new Document("acme", "y", "Y", TinyEncoder.WORDS.get(3), 3);
            int goneShard = SnapshotManifest.shardOf("acme", "y", SHARDS);
            staging.add(goneShard, gone);
            staging.add(goneShard, Document.deletion("acme", "y", 4));
            staging.finish();
            assertThat(staging.size()).isEqualTo(1);
            assertThat(staging.documents(shard)).toIterable().containsExactly(two);
            if (goneShard != shard) {
                assertThat(staging.documents(goneShard)).toIterable().isEmpty();
            }
        }
    }

    @Test
    void aShardKeyDependsOnContentSettingsModelAndPlaceOnly() {
        IndexStore store = new IndexStore(dir);
        List<Document> docs = List.of(new Document("t", "a", "A", "text", 1L));
        ShardBuilder b = builder(store, new Counting(0));
        String key = b.key(0, docs.iterator());
        assertThat(key).hasSize(32);
        assertThat(b.key(0, List.of(new Document("t", "a", "A", "text", 999L)).iterator()))
                .as("updatedAt does not change the content").isEqualTo(key);
        assertThat(b.key(0, List.of(new Document("t", "a", "A", "text!", 1L)).iterator())).isNotEqualTo(key);
        assertThat(b.key(1, docs.iterator())).isNotEqualTo(key);
        ShardBuilder otherChunker = new ShardBuilder(store, new ShardBuilder.Settings(SHARDS, "other", modelId, 16),
                null, null, ShardBuilder.Progress.NONE);
        assertThat(otherChunker.key(0, docs.iterator())).isNotEqualTo(key);
        ShardBuilder otherModel = new ShardBuilder(store, new ShardBuilder.Settings(SHARDS, "test-chunker", "m@2", 16),
                null, null, ShardBuilder.Progress.NONE);
        assertThat(otherModel.key(0, docs.iterator())).isNotEqualTo(key);
        ShardBuilder moreShards = new ShardBuilder(store, new ShardBuilder.Settings(SHARDS + 1, "test-chunker", modelId,
                16), null, null, ShardBuilder.Progress.NONE);
        assertThat(moreShards.key(0, docs.iterator())).isNotEqualTo(key);
    }
}
