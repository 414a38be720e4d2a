package io.sluice.jobs.cluster;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.backfill.BackfillJobMain;
import io.sluice.jobs.backfill.IngestJobMain;
import io.sluice.jobs.config.JobArguments;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.LocalCluster;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.operators.retrieve.SearchSettings;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The backfill and live ingestion as programs of the shaded job jar, submitted with Flink's own
 * client to a standalone cluster of a JobManager and two TaskManagers of one slot each: the backfill's
 * index tasks run on both TaskManagers (each embedding with its own shared model session), the
 * snapshot is the one a local backfill of the same documents gives, and the live job promotes a
 * snapshot with a document written after it started.
 */
class BackfillClusterIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final Pattern PROMOTED = Pattern.compile("backfill: promoted snapshot ([0-9a-f]+)");

    @TempDir
    Path work;

    private static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void backfillsOnTwoTaskManagersAndIngestsLive() throws Exception {
        Path jar;
        try (Stream<Path> built = Files.list(ROOT.resolve("jobs/target"))) {
            jar = built.filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst().orElseThrow();
        }
        String classpath = Files.readString(ROOT.resolve("flink-conf/target/cluster-classpath.txt")).strip();
        Path docs = TestCorpus.write(work.resolve("docs"));
        Path index = work.resolve("index");
        List<String> args = List.of(
                "--sluice.backfill.documents", docs.toString(),
                "--sluice.index.dir", index.toString(),
                "--sluice.backfill.tenant", TestCorpus.ACME,
                "--sluice.backfill.shards", "4");
        try (LocalCluster cluster = LocalCluster.start(ROOT.resolve("jobs/target/backfill-cluster-it"),
                ROOT.resolve("flink-conf"), classpath, 2, Map.of(
                        "execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString(),
                        // One slot each: the two index tasks run on both TaskManagers.
                        "taskmanager.numberOfTaskSlots", "1",
                        "taskmanager.memory.process.size", "1600m",
                        "jobmanager.memory.process.size", "1024m"))) {
            String rest = "http://" + cluster.restAddress();
            String output = cluster.run(jar, List.of("-p", "2", "-c", BackfillJobMain.class.getName()), args);
            Matcher promoted = PROMOTED.matcher(output);
            assertThat(promoted.find()).as("the client's output:%n%s", output).isTrue();
            String snapshot = promoted.group(1);
            assertThat(output).contains("4 shards (4 built now, 0 unchanged)");
            assertThat(new IndexStore(index).latest()).contains(snapshot);

            String backfillJob = jobNamed(rest, "sluice-backfill").orElseThrow();
            assertThat(taskManagersOf(rest, backfillJob, "index")).as("TaskManagers of the index tasks").hasSize(2);

            // The same documents backfilled locally at parallelism 1 give the same snapshot.
            Configuration local = Configuration.fromMap(JobArguments.parse(args.toArray(String[]::new)));
            local.setString("sluice.index.dir", work.resolve("index-local").toString());
            assertThat(new Backfill(Backfill.Settings.from(local), new PrintWriter(new StringWriter())).run()
                    .snapshotId()).isEqualTo(snapshot);
            assertThat(search(index, snapshot, "refund within thirty days")).contains("acme-refunds");

            // Live ingestion of a directory that starts empty; a document written later is promoted.
            Path live = Files.createDirectories(work.resolve("live"));
            cluster.submit(jar, List.of("-p", "2", "-c", IngestJobMain.class.getName()), List.of(
                    "--sluice.backfill.documents", live.toString(),
                    "--sluice.index.dir", index.toString(),
                    "--sluice.backfill.tenant", TestCorpus.ACME,
                    "--sluice.ingest.interval", "1 s",
                    "--sluice.ingest.name", "cluster-it"));
            Files.writeString(live.resolve("returns.md"), "# Returns\n\nReturned parcels are inspected within "
                    + "two days and refunded to the original card.\n");
            IndexStore store = new IndexStore(index);
            Await.until("a promoted snapshot with the live document", WAIT, () -> {
                String latest = store.latest().orElse(snapshot);
                return !latest.equals(snapshot) && search(index, latest, "returned parcels inspected")
                        .contains("returns.md");
            });
        }
    }

    /** Document ids of the best BM25 hits of tenant acme in {@code snapshot}. */
    private static List<String> search(Path index, String snapshot, String question) throws Exception {
        try (HybridSearcher searcher = HybridSearcher.open(new IndexStore(index), snapshot, SearchSettings.DEFAULT)) {
            return searcher.search(SearchMode.BM25, TestCorpus.ACME, question, null, 3, 3).stream()
                    .map(RetrievedChunk::documentId).toList();
        }
    }

    private static Optional<String> jobNamed(String rest, String name) throws Exception {
        for (JsonNode job : ResponseJson.parse(get(rest + "/jobs/overview")).path("jobs")) {
            if (job.path("name").asText().equals(name)) {
                return Optional.of(job.path("jid").asText());
            }
        }
        return Optional.empty();
    }

    /** The TaskManagers that ran the subtasks of the job's vertex whose name starts with {@code vertex}. */
    private static Set<String> taskManagersOf(String rest, String job, String vertex) throws Exception {
        List<String> ids = new ArrayList<>();
        for (JsonNode v : ResponseJson.parse(get(rest + "/jobs/" + job)).path("vertices")) {
            if (v.path("name").asText().startsWith(vertex)) {
                ids.add(v.path("id").asText());
            }
        }
        assertThat(ids).as("vertices named %s", vertex).hasSize(1);
        Set<String> taskManagers = new HashSet<>();
        for (JsonNode subtask : ResponseJson.parse(get(rest + "/jobs/" + job + "/vertices/" + ids.get(0)))
                .path("subtasks")) {
            taskManagers.add(subtask.path("taskmanager-id").asText());
        }
        return taskManagers;
    }
}
