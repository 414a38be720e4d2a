package io.sluice.operators.retrieve;

import io.sluice.schemas.Chunk;
import io.sluice.schemas.EmbeddedChunk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The manifest's list of index files, and what happens to a snapshot whose files do not match it. */
class SnapshotManifestTest {

    @TempDir
    Path dir;

    private static String write(IndexStore store, String id) throws Exception {
        List<EmbeddedChunk> chunks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Chunk c = new Chunk("d" + i + "#0", "acme", "d" + i, "Doc " + i, 0, 1, "text number " + i, 3);
            chunks.add(new EmbeddedChunk(c, "k" + i, io.sluice.model.Vectors.normalize(new float[] {1, i, 0, 0}), false));
        }
        SnapshotWriter.write(store, new SnapshotManifest(id, "1970-01-01T00:00:00Z", "m@1", 4, "test", 50, 50, 50, 0,
                List.of("acme")), chunks);
        store.promote(id);
        return id;
    }

    @Test
    void theWriterListsEveryIndexFileAndAnIntactSnapshotMatches() throws Exception {
        IndexStore store = new IndexStore(dir);
        String id = write(store, "s1");
        SnapshotManifest manifest = SnapshotManifest.read(store.snapshotDir(id));
        SnapshotManifest.Shard shard = manifest.shards().get(0);
        assertThat(shard.files()).isNotEmpty().extracting(SnapshotManifest.IndexFile::name)
                .anyMatch(n -> n.startsWith("segments_")).doesNotContain("manifest.json", "write.lock", "shard.json");
        for (SnapshotManifest.IndexFile f : shard.files()) {
            assertThat(Files.size(store.snapshotDir(id).resolve(shard.name()).resolve(f.name()))).as(f.name())
                    .isEqualTo(f.length());
        }
        assertThat(manifest.verify(store.snapshotDir(id), true)).isEmpty();
        try (HybridSearcher searcher = HybridSearcher.open(store, id, SearchSettings.DEFAULT)) {
            assertThat(searcher.search(SearchMode.BM25, "acme", "number", null, 3, 3)).hasSize(3);
        }
    }

    @Test
    void aSnapshotWhoseFilesDoNotMatchIsRefusedToServingAndToPromotions() throws Exception {
        IndexStore store = new IndexStore(dir);
        String good = write(store, "good");
        String bad = write(store, "bad");
        SnapshotManifest manifest = SnapshotManifest.read(store.snapshotDir(bad));
        SnapshotManifest.IndexFile biggest = manifest.shards().get(0).files().stream()
                .max(java.util.Comparator.comparingLong(SnapshotManifest.IndexFile::length)).orElseThrow();
        Path file = store.snapshotDir(bad).resolve("shard-000").resolve(biggest.name());

        // A byte changed inside the file: the footer still matches, the full check does not.
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(biggest.length() / 2);
            int b = raf.read();
            raf.seek(biggest.length() / 2);
            raf.write(b ^ 0xFF);
        }
        assertThat(manifest.verify(store.snapshotDir(bad), false)).isEmpty();
        assertThat(manifest.verify(store.snapshotDir(bad), true)).singleElement().asString()
                .startsWith("shard-000/" + biggest.name() + " ");

        // Cut short: refused at open, with the file named.
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(biggest.length() - 100);
        }
        assertThatThrownBy(() -> HybridSearcher.open(store, bad, SearchSettings.DEFAULT))
                .hasMessageContaining("Index snapshot bad does not match its manifest: shard-000/" + biggest.name() + " has "
                        + (biggest.length() - 100) + " bytes, the manifest says " + biggest.length());
        // A following job refuses its promotion and stays on the good one.
        SnapshotSchedule schedule = new SnapshotSchedule(store, "m@1", () -> Long.MAX_VALUE);
        assertThat(schedule.snapshotFor(Long.MAX_VALUE)).isEqualTo(good);
        assertThat(schedule.refusedCount()).isEqualTo(1);

        Files.delete(file);
        assertThat(manifest.verify(store.snapshotDir(bad), false)).containsExactly("shard-000/" + biggest.name() + " is missing");
    }

    @Test
    void aManifestFromBeforeTheFileListReadsAndIsNotChecked() throws Exception {
        Path snapshot = Files.createDirectories(dir.resolve("old"));
        Files.writeString(snapshot.resolve(SnapshotManifest.FILE_NAME), """
                {"snapshotId": "old", "createdAt": "1970-01-01T00:00:00Z", "embeddingModel": "m@1", "dimension": 4,
                 "chunker": "test", "documents": 1, "chunks": 1, "embeddedChunks": 1, "reusedEmbeddings": 0,
                 "tenants": ["acme"]}
                """);
        SnapshotManifest manifest = SnapshotManifest.read(snapshot);
        assertThat(manifest.files()).isEmpty();
        assertThat(manifest.verify(snapshot, true)).isEmpty();
        // Its index lies in the snapshot directory itself.
        assertThat(manifest.indexDirs(snapshot)).containsExactly(snapshot);
    }
}
