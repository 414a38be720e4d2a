package io.sluice.jobs.cluster;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalCluster;
import io.sluice.local.LocalStack;
import io.sluice.jobs.replay.Replay;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded job jar on a real standalone Flink cluster of separate processes (a JobManager and two
 * TaskManagers started from Flink's jars with flink-conf/config.yaml, the job submitted with Flink's
 * own client): under load one TaskManager is killed with SIGKILL and the job recovers on a
 * replacement; then it is
 * stopped with a savepoint and started again from it with another parallelism. In both delivery
 * modes every request has exactly one audit row, exactly one committed response (exactly-once) or
 * at least one with identical repeats (low latency), every conversation keeps its order and its
 * history, and the audit chains are intact. Finally the cluster's savepoint is replayed locally and
 * the turns after it come out identical to the audit trail.
 */
class ServingClusterIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int CONVERSATIONS = 6;
    private static final String[] QUESTIONS = {
        "How many days do I have to request a refund?",
        "How long does standard shipping take?",
        "Does the warranty cover water damage?",
        "How are refunds paid back?",
        "How long does express shipping take?",
        "Can opened software be refunded?"
    };

    @TempDir
    Path work;

    private static String id(int conversation, int turn) {
        return "k-" + conversation + "-" + turn;
    }

    private static void sendTurn(ChatClient chat, int turn) {
        for (int c = 0; c < CONVERSATIONS; c++) {
            chat.send(id(c, turn), TestCorpus.ACME, "conv-" + c, QUESTIONS[(c + turn) % QUESTIONS.length]);
        }
    }

    private static List<String> turns(int from, int to) {
        List<String> ids = new ArrayList<>();
        for (int t = from; t < to; t++) {
            for (int c = 0; c < CONVERSATIONS; c++) {
                ids.add(id(c, t));
            }
        }
        return ids;
    }

    private static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(ServingOptions.Delivery.class)
    void survivesATaskManagerKillAndRescalesFromASavepoint(ServingOptions.Delivery delivery) throws Exception {
        boolean exactlyOnce = delivery == ServingOptions.Delivery.EXACTLY_ONCE;
        Path jar;
        try (Stream<Path> built = Files.list(ROOT.resolve("jobs/target"))) {
            jar = built.filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst().orElseThrow();
        }
        String classpath = Files.readString(ROOT.resolve("flink-conf/target/cluster-classpath.txt")).strip();
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
                // Logs stay in target/ for whoever reads a failure.
                LocalCluster cluster = LocalCluster.start(ROOT.resolve("jobs/target/cluster-it-" + delivery), ROOT.resolve("flink-conf"),
                        classpath, 2, Map.of(
                                "execution.checkpointing.dir", work.resolve("checkpoints").toUri().toString(),
                                "execution.checkpointing.savepoint-dir", work.resolve("savepoints").toUri().toString(),
                                FsStateChangelogOptions.BASE_PATH.key(), work.resolve("changelog").toUri().toString(),
                                "execution.checkpointing.interval", "1 s",
                                // One slot each: the job's two subtasks run on both TaskManagers.
                                "taskmanager.numberOfTaskSlots", "1",
                                "taskmanager.memory.process.size", "1600m",
                                "jobmanager.memory.process.size", "1024m",
                                "heartbeat.interval", "1000",
                                "heartbeat.timeout", "6000"))) {
            TestCorpus.backfill(work);
            List<String> args = List.of(
                    "--sluice.kafka.bootstrap-servers", stack.bootstrapServers(),
                    "--sluice.index.dir", work.resolve("index").toString(),
                    "--sluice.audit.jdbc-url", stack.jdbcUrl(),
                    "--sluice.audit.user", "postgres",
                    "--sluice.tenants.ids", TestCorpus.ACME,
                    "--sluice.responses.delivery", delivery.name());
            String job = cluster.submit(jar, List.of("--parallelism", "2"), args);
            String rest = "http://" + cluster.restAddress();
            Await.until("the job to run", WAIT, () -> get(rest + "/jobs/" + job).contains("\"state\":\"RUNNING\""));

            try (ChatClient reader = stack.client(exactlyOnce, true); Connection db = stack.openAuditConnection()) {
                sendTurn(reader, 0);
                sendTurn(reader, 1);
                Await.until("answers of the first two turns", WAIT,
                        () -> turns(0, 2).stream().allMatch(r -> !reader.responses(r).isEmpty()));

                sendTurn(reader, 2);
                cluster.killTaskManager(0);
                cluster.startTaskManager(); // the replacement a resource manager would bring
                sendTurn(reader, 3);
                sendTurn(reader, 4);
                Await.until("answers up to turn 4 after the recovery", WAIT,
                        () -> turns(0, 5).stream().allMatch(r -> !reader.responses(r).isEmpty()));
                JsonNode details = ResponseJson.parse(get(rest + "/jobs/" + job));
                assertThat(details.path("timestamps").path("RESTARTING").asLong()).as("the job restarted").isPositive();
                // config.yaml's changelog state backend is what the cluster runs: its log has files.
                Await.until("files in the changelog of " + job, WAIT,
                        () -> !TestClusters.changelogFiles(work.resolve("changelog"), job).isEmpty());

                String savepoint = cluster.stopWithSavepoint(job, work.resolve("savepoints"));
                // The restored job claims the savepoint (config.yaml) and deletes it once newer
                // checkpoints replace it: an operator who wants to replay from it keeps a copy.
                Path kept = copy(Path.of(URI.create(savepoint)), work.resolve("kept-savepoint"));
                sendTurn(reader, 5); // while no job runs
                String rescaled = cluster.submit(jar,
                        List.of("--fromSavepoint", savepoint, "--claimMode", "claim", "--parallelism", "1"), args);
                Await.until("answers of turn 5 after the restart", WAIT,
                        () -> turns(5, 6).stream().allMatch(r -> !reader.responses(r).isEmpty()));

                List<String> all = turns(0, 6);
                Await.until("an audit row for every request", WAIT, () -> AuditRows.read(db).keySet().containsAll(all));
                assertThat(AuditRows.count(db)).isEqualTo(all.size());
                for (String r : all) {
                    List<JsonNode> copies = reader.responses(r);
                    if (exactlyOnce) {
                        assertThat(copies).as("committed answers of %s", r).hasSize(1);
                    }
                    // Low latency may repeat an answer after the recovery; a repeat says the same.
                    JsonNode content = ResponseJson.content(copies.get(0).toString());
                    for (JsonNode copy : copies) {
                        assertThat(ResponseJson.content(copy.toString())).as("repeat of %s", r).isEqualTo(content);
                    }
                }
                try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT request_id, chain_seq, history_turns FROM audit_turns")) {
                    while (rs.next()) {
                        String[] parts = rs.getString(1).split("-");
                        int turn = Integer.parseInt(parts[2]);
                        // The chain numbers each conversation's turns in the order they were sent.
                        assertThat(rs.getLong(2)).as("chain position of %s", rs.getString(1)).isEqualTo(turn + 1);
                        if (turn > 0) {
                            assertThat(rs.getInt(3)).as("history of %s", rs.getString(1)).isPositive();
                        }
                    }
                }
                AuditVerifier.Report chains = AuditVerifier.verify(db, rows -> {});
                assertThat(chains.breaks()).isEmpty();
                assertThat(chains.conversations()).isEqualTo(CONVERSATIONS);
                assertThat(get(rest + "/jobs/" + rescaled)).contains("\"state\":\"RUNNING\"");
                Path claimed = Path.of(URI.create(savepoint));
                Await.until("the restored job to delete the savepoint it claimed", WAIT,
                        () -> !Files.exists(claimed.resolve("_metadata")));

                // The cluster's savepoint replays locally: the turns after it, identical to the audit trail.
                Configuration serving = new Configuration();
                for (int i = 0; i < args.size(); i += 2) {
                    serving.setString(args.get(i).substring(2), args.get(i + 1));
                }
                Replay.Result replayed = Replay.run(serving, Replay.Options.of(kept), p -> {});
                assertThat(replayed.report().divergences()).isEmpty();
                assertThat(replayed.report().missing()).isEmpty();
                assertThat(replayed.report().identical()).isEqualTo(CONVERSATIONS);
            }
        }
    }

    /** A copy of the directory {@code from} at {@code to}. */
    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(from.relativize(f).toString()));
            }
        }
        return to;
    }
}
