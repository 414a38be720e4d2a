package io.sluice.jobs.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.jobs.testing.Await;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.schemas.RetrievedChunk;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Live ingestion from a directory a continuous FileSource follows: a snapshot is promoted once the
 * first files are in, and a later file's update, new document and delete are in the next one.
 */
class LiveIngestionITCase {

    /** Two slots: the job runs every stage at once, two index subtasks whose cuts the promote stage joins. */
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @TempDir
    Path work;

    @Test
    void newFilesBecomeNewSnapshotsWithUpdatesAndDeletes() throws Exception {
        Path docs = firstFile();
        Path index = work.resolve("index");
        StringWriter log = new StringWriter();
        JobClient job = new LiveIngestion(settings(docs, index), Duration.ofSeconds(1), "test", new PrintWriter(log, true))
                .start();
        IndexStore store = new IndexStore(index);
        try {
            Await.until("a first snapshot with both documents", Duration.ofMinutes(2),
                    () -> documents(store) == 2);
            String first = store.latest().orElseThrow();

            Files.writeString(docs.resolve(".b.jsonl.tmp"), """
                    {"id":"refunds","tenantId":"acme","title":"Refunds","text":"Refunds now take fourteen days."}
                    {"id":"warranty","tenantId":"acme","title":"Warranty","text":"The warranty covers one year."}
                    {"id":"shipping","tenantId":"acme","deleted":true}
                    not a document: skipped with a warning, not a restart into the same file
                    {"title":"no id either"}
                    """);
            // Renamed into place whole: the source never sees half a file.
            Files.move(docs.resolve(".b.jsonl.tmp"), docs.resolve("b.jsonl"));
            Await.until("a snapshot with the update, the new document and without the deleted one",
                    Duration.ofMinutes(2), () -> !first.equals(store.latest().orElse(first)) && hasFourteen(store));
            String second = store.latest().orElseThrow();
            try (HybridSearcher searcher = HybridSearcher.open(store, second)) {
                List<RetrievedChunk> hits = searcher.search(SearchMode.BM25, "acme",
                        "refunds shipping warranty days year", null, 10, 10);
                assertThat(hits).extracting(RetrievedChunk::documentId).containsExactlyInAnyOrder("refunds", "warranty");
            }
            SnapshotManifest m = SnapshotManifest.read(store.snapshotDir(second));
            assertThat(m.shards()).hasSize(3);
            assertThat(m.documents()).isEqualTo(2);
            assertThat(store.exists(first)).as("the first snapshot stays").isTrue();
        } finally {
            cancel(job);
        }
        assertThat(log.toString()).contains("ingest: following");
    }

    @Test
    void aJobRestoredFromASavepointCarriesOnWithTheDocumentsItHadStaged() throws Exception {
        Path docs = firstFile();
        Path index = work.resolve("index");
        Backfill.Settings settings = settings(docs, index);
        IndexStore store = new IndexStore(index);
        JobClient first = new LiveIngestion(settings, Duration.ofSeconds(1), "restore", new PrintWriter(new StringWriter()))
                .start();
        String savepoint;
        try {
            Await.until("a first snapshot with both documents", Duration.ofMinutes(2), () -> documents(store) == 2);
            savepoint = first.stopWithSavepoint(false, work.resolve("savepoints").toUri().toString(),
                    org.apache.flink.core.execution.SavepointFormatType.CANONICAL).get();
        } catch (Exception e) {
            cancel(first);
            throw e;
        }
        String before = store.latest().orElseThrow();
        // a.jsonl gone and b.jsonl new while no job runs: the restored job's snapshot can have a.jsonl's
        // documents only from the staging it restored.
        Files.delete(docs.resolve("a.jsonl"));
        Files.writeString(docs.resolve("b.jsonl"), """
                {"id":"warranty","tenantId":"acme","title":"Warranty","text":"The warranty covers one year."}
                """);
        JobClient restored = new LiveIngestion(settings, Duration.ofSeconds(1), "restore",
                new PrintWriter(new StringWriter())).restoringFrom(savepoint).start();
        try {
            Await.until("a snapshot with the new document", Duration.ofMinutes(2),
                    () -> !before.equals(store.latest().orElse(before)));
            SnapshotManifest m = SnapshotManifest.read(store.snapshotDir(store.latest().orElseThrow()));
            assertThat(m.documents()).isEqualTo(3);
        } finally {
            cancel(restored);
        }
    }

    /** A directory of documents with a first file: two documents of tenant acme. */
    private Path firstFile() throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        Files.writeString(docs.resolve("a.jsonl"), """
                {"id":"refunds","tenantId":"acme","title":"Refunds","text":"Refunds take thirty days."}
                {"id":"shipping","tenantId":"acme","title":"Shipping","text":"Express shipping takes two days."}
                """);
        return docs;
    }

    private static Backfill.Settings settings(Path docs, Path index) {
        return new Backfill.Settings(docs, index, "default", new ChunkerSettings(64, 8),
                EmbeddingModels.BUNDLED_MINILM_QUANTIZED, 8, RuntimeOptions.cpu(1), 2).withShards(3);
    }

    /** Cancels {@code job} and waits until it is over, before the test's directories go. */
    private static void cancel(JobClient job) throws Exception {
        job.cancel().get();
        Await.until("the job cancelled", Duration.ofMinutes(1), () -> job.getJobStatus().get().isGloballyTerminalState());
    }

    private static int documents(IndexStore store) throws Exception {
        var latest = store.latest();
        return latest.isEmpty() ? 0 : SnapshotManifest.read(store.snapshotDir(latest.get())).documents();
    }

    private static boolean hasFourteen(IndexStore store) throws Exception {
        try (HybridSearcher searcher = HybridSearcher.open(store, store.latest().orElseThrow())) {
            return searcher.search(SearchMode.BM25, "acme", "refunds", null, 5, 5).stream()
                    .anyMatch(c -> c.text().contains("fourteen"));
        }
    }
}
