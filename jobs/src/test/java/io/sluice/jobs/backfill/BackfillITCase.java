package io.sluice.jobs.backfill;

import io.sluice.model.EmbeddingModels;
import io.sluice.jobs.testing.Await;
import io.sluice.local.EmbeddedRedis;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.cache.EmbeddingCache;
import io.sluice.operators.chunk.Chunker;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The backfill as a Flink batch job: content-addressed, idempotent, incremental. */
class BackfillITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension();

    @TempDir
    Path work;

    private Backfill.Result backfill(Path docs, Path index, StringWriter log) throws Exception {
        return backfill(docs, index, log, 1);
    }

    private Backfill.Result backfill(Path docs, Path index, StringWriter log, int shards) throws Exception {
        return new Backfill(new Backfill.Settings(docs, index, "default", new ChunkerSettings(32, 8),
                EmbeddingModels.BUNDLED_MINILM, 4, RuntimeOptions.cpu(1), 2).withShards(shards),
                new PrintWriter(log, true)).run();
    }

    @Test
    void withRedactPersonalDataNeverReachesTheIndex() throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        Files.writeString(docs.resolve("support.md"), "# Support for jane.doe@example.com\n"
                + "Call +44 20 7946 0958 or write to help@example.com about refunds. ".repeat(6));
        Path index = work.resolve("index");
        StringWriter log = new StringWriter();
        Backfill.Result redacted = new Backfill(new Backfill.Settings(docs, index, "default", new ChunkerSettings(32, 8),
                EmbeddingModels.BUNDLED_MINILM, 4, RuntimeOptions.cpu(1), 1, true), new PrintWriter(log, true)).run();
        assertThat(log.toString()).contains("redacted personal data in 1 of 1 documents {EMAIL=").contains("PHONE=6}");
        List<String> indexed = new ArrayList<>();
        Path snapshot = new IndexStore(index).snapshotDir(redacted.snapshotId());
        for (Path shard : redacted.manifest().indexDirs(snapshot)) {
            try (var reader = org.apache.lucene.index.DirectoryReader.open(org.apache.lucene.store.FSDirectory.open(shard))) {
                for (int i = 0; i < reader.maxDoc(); i++) {
                    indexed.add(reader.storedFields().document(i).toString());
                }
            }
        }
        assertThat(String.join("\n", indexed)).contains("[EMAIL_1]").contains("[EMAIL_2]").contains("[PHONE_1]")
                .doesNotContain("jane.doe@example.com").doesNotContain("help@example.com").doesNotContain("7946");
        // Redacted documents are other content: their own snapshot, beside the plain one.
        Backfill.Result plain = backfill(docs, index, new StringWriter());
        assertThat(plain.snapshotId()).isNotEqualTo(redacted.snapshotId());
    }

    @Test
    void theEmbeddingCacheSparesTheModelWhatAnotherBackfillOfTheTenantEmbedded() throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        Files.writeString(docs.resolve("alpha.md"), "# Alpha\n" + "Alpha streams carry ordered events. ".repeat(12));
        try (EmbeddedRedis redis = EmbeddedRedis.start()) {
            EmbeddingCache.Settings cache = new EmbeddingCache.Settings(redis.uri(), Duration.ofMinutes(5),
                    Duration.ofSeconds(1));
            Backfill.Result first = cached(docs, work.resolve("index-a"), "default", cache);
            int chunks = first.manifest().chunks();
            assertThat(first.fromCache()).as("an empty cache").isZero();
            var client = io.lettuce.core.RedisClient.create(redis.uri());
            try (var connection = client.connect()) {
                // Writes are not waited for by the backfill: wait for them here.
                Await.until("the vectors in Redis", Duration.ofSeconds(30), () -> connection.sync().dbsize() >= chunks);
            } finally {
                client.shutdown();
            }
            // Another index, so no previous snapshot to reuse: the cache has every vector.
            Backfill.Result second = cached(docs, work.resolve("index-b"), "default", cache);
            assertThat(second.fromCache()).isEqualTo(chunks);
            assertThat(second.snapshotId()).isEqualTo(first.snapshotId());
            assertThat(second.manifest().reusedEmbeddings()).as("none from a previous snapshot").isZero();
            // The same text of another tenant shares nothing.
            Backfill.Result other = cached(docs, work.resolve("index-c"), "other", cache);
            assertThat(other.fromCache()).isZero();
        }
    }

    private static Backfill.Result cached(Path docs, Path index, String tenant, EmbeddingCache.Settings cache)
            throws Exception {
        StringWriter log = new StringWriter();
        Backfill.Result result = new Backfill(new Backfill.Settings(docs, index, tenant, new ChunkerSettings(32, 8),
                EmbeddingModels.BUNDLED_MINILM, 4, RuntimeOptions.cpu(1), 1).withEmbeddingCache(cache),
                new PrintWriter(log, true)).run();
        assertThat(log.toString()).contains(result.fromCache() + " from the embedding cache");
        return result;
    }

    @Test
    void unchangedInputIsRecognisedAndAChangedDocumentReEmbedsOnlyItsChunks() throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        Files.writeString(docs.resolve("alpha.md"), "# Alpha\n" + "Alpha streams carry ordered events. ".repeat(12));
        Files.writeString(docs.resolve("beta.txt"), "Beta tables hold keyed rows for lookups. ".repeat(12));
        Files.writeString(docs.resolve("ignored.bin"), "not a document");
        Path index = work.resolve("index");

        StringWriter log = new StringWriter();
        Backfill.Result first = backfill(docs, index, log);
        SnapshotManifest m = first.manifest();
        assertThat(first.upToDate()).isFalse();
        assertThat(m.documents()).isEqualTo(2);
        assertThat(m.chunks()).isGreaterThan(2);
        assertThat(m.embeddedChunks()).isEqualTo(m.chunks());
        assertThat(m.tenants()).containsExactly("default");
        assertThat(new IndexStore(index).latest()).contains(first.snapshotId());
        assertThat(log.toString()).contains("backfill: 2/2 documents");

        Backfill.Result again = backfill(docs, index, new StringWriter());
        assertThat(again.upToDate()).isTrue();
        assertThat(again.snapshotId()).isEqualTo(first.snapshotId());

        Files.writeString(docs.resolve("beta.txt"), "Beta tables now hold versioned rows. ".repeat(12));
        Backfill.Result changed = backfill(docs, index, new StringWriter());
        assertThat(changed.snapshotId()).isNotEqualTo(first.snapshotId());
        int alphaChunks;
        try (var tokenizer = EmbeddingModels.bundledMiniLmTokenizer()) {
            alphaChunks = new Chunker(new ChunkerSettings(32, 8), tokenizer)
                    .chunk(DocumentReader.read(docs.resolve("alpha.md"), "default").get(0)).size();
        }
        assertThat(alphaChunks).isGreaterThan(1);
        assertThat(changed.manifest().reusedEmbeddings()).isEqualTo(alphaChunks);
        assertThat(changed.manifest().embeddedChunks()).isEqualTo(changed.manifest().chunks() - alphaChunks);
        assertThat(new IndexStore(index).latest()).contains(changed.snapshotId());
        // The old snapshot stays, immutable, for jobs that pinned it.
        assertThat(new IndexStore(index).exists(first.snapshotId())).isTrue();
    }

    @Test
    void withShardsAChangeRebuildsOnlyItsShardAndAMissingOrBadInputIsExplained() throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        int shards = 3;
        // Documents until two shards have some: a change to one must leave the other alone.
        for (int i = 0; i < 6; i++) {
            Files.writeString(docs.resolve("doc" + i + ".md"), "# Doc " + i + "\n" + ("Topic " + i + " is covered. ").repeat(8));
        }
        Path index = work.resolve("index");
        StringWriter log = new StringWriter();
        Backfill.Result first = backfill(docs, index, log, shards);
        assertThat(first.manifest().shards()).hasSize(shards).extracting(SnapshotManifest.Shard::name)
                .containsExactly("shard-000", "shard-001", "shard-002");
        assertThat(first.manifest().documents()).isEqualTo(6);
        assertThat(first.builtShards()).isEqualTo(shards);
        assertThat(log.toString()).contains("3 shards (3 built now, 0 unchanged)");
        // A snapshot's shard files are the shard store's (linked, not copied again).
        SnapshotManifest.Shard s0 = first.manifest().shards().get(0);
        Path linked = new IndexStore(index).snapshotDir(first.snapshotId()).resolve("shard-000")
                .resolve(s0.files().get(0).name());
        assertThat(Files.isSameFile(linked, new IndexStore(index).shardDir(s0.key()).resolve(s0.files().get(0).name())))
                .isTrue();

        int changedShard = SnapshotManifest.shardOf("default", "doc0.md", shards);
        Files.writeString(docs.resolve("doc0.md"), "# Doc 0\nSomething else entirely.");
        Backfill.Result changed = backfill(docs, index, new StringWriter(), shards);
        assertThat(changed.builtShards()).isEqualTo(1);
        for (int s = 0; s < shards; s++) {
            assertThat(changed.manifest().shards().get(s).key().equals(first.manifest().shards().get(s).key()))
                    .as("shard " + s + " unchanged").isEqualTo(s != changedShard);
        }
        // Deleting a file deletes its document from the next snapshot.
        Files.delete(docs.resolve("doc1.md"));
        Backfill.Result deleted = backfill(docs, index, new StringWriter(), shards);
        assertThat(deleted.manifest().documents()).isEqualTo(5);

        Files.writeString(docs.resolve("bad.jsonl"), "{\"id\":\"x\",\"text\":\"fine\"}\n{\"title\":\"no id\"}\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> backfill(docs, index, new StringWriter(), shards))
                .hasMessageContaining("Backfill failed").hasMessageContaining("bad.jsonl:2")
                .hasMessageContaining("needs an 'id'");
        Files.writeString(docs.resolve("bad.jsonl"), "{\"id\":\"doc2.md\",\"text\":\"a second doc2.md\"}\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> backfill(docs, index, new StringWriter(), shards))
                .hasMessageContaining("Duplicate document id 'doc2.md' in tenant 'default'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> backfill(work.resolve("nothing-here"), index,
                new StringWriter(), shards)).hasMessageContaining("Documents not found");
    }
}
