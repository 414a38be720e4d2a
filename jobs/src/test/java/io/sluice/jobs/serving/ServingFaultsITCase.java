package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.Faults;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.model.chat.OpenAiStandInServer;
import io.sluice.operators.audit.AuditVerifier;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serving job through faults of what it depends on, one after another on one running job: the
 * Kafka broker stopped and restarted mid-stream, checkpoint storage failing, and a remote model
 * that drips a byte a second (PostgreSQL hanging is {@code AuditOutageITCase}'s). After each, every
 * request has its answer, the audit trail has each answered turn exactly once with intact chains,
 * and serving goes on; the figures (outage length, requests in flight, recovery time) are printed.
 */
class ServingFaultsITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(TestClusters.restarting(20, "500 ms")).build());

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final List<String> QUESTIONS = List.of("How many days do I have to request a refund?",
            "How long does express shipping take?", "Does the warranty cover water damage?",
            "How are refunds paid back?");

    @TempDir
    Path work;


    private static void sendAll(ChatClient chat, List<String> ids, String prefix) {
        for (int i = 0; i < ids.size(); i++) {
            chat.send(ids.get(i), TestCorpus.ACME, prefix + (i % 4), QUESTIONS.get(i % QUESTIONS.size()));
        }
    }

    private static List<String> ids(String prefix, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(prefix + i);
        }
        return ids;
    }

    private static void awaitAnswers(ChatClient chat, List<String> ids) throws Exception {
        for (String id : ids) {
            ChatClient.Reply reply = chat.await(id, WAIT);
            assertThat(reply.rejected()).as("%s: %s", id, reply.rejection()).isFalse();
        }
    }

    @Test
    void servingGoesOnThroughKafkaCheckpointStorageAndModelFaults(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
                OpenAiStandInServer remote = new OpenAiStandInServer()) {
            TestCorpus.backfill(work);
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remote.baseUrl());
            conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "drip");
            conf.set(ServingOptions.ANSWER_REMOTE_READ_TIMEOUT, Duration.ofMillis(1_500));
            conf.set(ServingOptions.ANSWER_REMOTE_TOTAL_TIMEOUT, Duration.ofSeconds(4));
            // The product's tolerance for failing checkpoints (flink-conf/config.yaml), not the test's.
            int tolerable = GlobalConfiguration.loadConfiguration(Path.of("..", "flink-conf").toString())
                    .get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER);
            assertThat(tolerable).isPositive();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(1000);
            env.getCheckpointConfig().setTolerableCheckpointFailureNumber(tolerable);
            env.setParallelism(2);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("serving-faults-itcase");
            List<String> all = new ArrayList<>();
            try (ChatClient chat = stack.client(false, true); Connection db = stack.openAuditConnection()) {
                List<String> warmUp = ids("w-", 8);
                sendAll(chat, warmUp, "conv-w");
                awaitAnswers(chat, warmUp);
                all.addAll(warmUp);

                // 1. The Kafka broker goes away mid-stream and comes back.
                List<String> before = ids("k-", 8);
                List<String> during = ids("kd-", 8);
                sendAll(chat, before, "conv-k");
                long stopped = System.nanoTime();
                stack.embeddedKafka().stop();
                // Sent while the broker is down: the producer holds them until it is back.
                CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> sendAll(chat, during, "conv-kd"));
                Thread.sleep(3_000); // the outage: a broker that is away for a while is the point of the test
                stack.embeddedKafka().restart();
                long restarted = System.nanoTime();
                sending.get();
                awaitAnswers(chat, before);
                awaitAnswers(chat, during);
                long recovered = System.nanoTime();
                all.addAll(before);
                all.addAll(during);
                System.out.printf("Kafka broker down %d ms with %d requests sent meanwhile; every answer %d ms after "
                        + "it came back%n", (restarted - stopped) / 1_000_000, during.size(), (recovered - restarted) / 1_000_000);

                // 2. Checkpoint storage fails: the job's checkpoint directory becomes a file.
                Path checkpoints = work.resolve("services").resolve("checkpoints").resolve(job.getJobID().toString());
                Path aside = checkpoints.resolveSibling("aside");
                long completedBefore = Faults.completedCheckpoints(cluster, job);
                long failedBefore = failedCheckpoints(cluster, job);
                Files.move(checkpoints, aside);
                Files.writeString(checkpoints, "not a directory");
                long broken = System.nanoTime();
                List<String> storage = ids("s-", 8);
                sendAll(chat, storage, "conv-s");
                awaitAnswers(chat, storage); // answers need no checkpoint
                Await.until("checkpoints failing", WAIT, () -> failedCheckpoints(cluster, job) >= failedBefore + 2);
                assertThat(AuditRows.read(db).keySet()).doesNotContainAnyElementsOf(storage);
                Files.delete(checkpoints);
                Files.move(aside, checkpoints);
                long repaired = System.nanoTime();
                Await.until("a checkpoint completing again", WAIT,
                        () -> Faults.completedCheckpoints(cluster, job) > completedBefore);
                all.addAll(storage);
                Await.until("the audit rows held back by failing checkpoints", WAIT,
                        () -> AuditRows.read(db).keySet().containsAll(storage));
                System.out.printf("checkpoint storage failed for %d ms (%d checkpoints failed) with %d requests answered "
                        + "meanwhile; their audit rows were in %d ms after it was repaired%n", (repaired - broken) / 1_000_000,
                        failedCheckpoints(cluster, job) - failedBefore, storage.size(),
                        (System.nanoTime() - repaired) / 1_000_000);

                // 3. A remote model drips a byte a second: the total timeout ends it, others go on.
                long asked = System.nanoTime();
                chat.send("d-1", TestCorpus.ACME, "conv-d", "Tell me everything.", ServingJob.REMOTE_MODEL);
                List<String> meanwhile = ids("dm-", 4);
                sendAll(chat, meanwhile, "conv-dm");
                awaitAnswers(chat, meanwhile);
                long othersAnswered = System.nanoTime();
                JsonNode failed = chat.await("d-1", WAIT).rejection();
                long timedOut = System.nanoTime();
                assertThat(failed).isNotNull();
                assertThat(failed.path("reason").asText()).isEqualTo("MODEL_FAILED");
                assertThat(failed.path("detail").asText()).contains("total timeout of 4000 ms");
                assertThat(Duration.ofNanos(timedOut - asked)).isLessThan(Duration.ofSeconds(30));
                assertThat(othersAnswered).isLessThan(timedOut); // they did not wait for the drip
                all.addAll(meanwhile);
                System.out.printf("a dripping model failed after %d ms (total timeout 4000 ms); %d other turns were "
                        + "answered %d ms after it was asked%n", (timedOut - asked) / 1_000_000, meanwhile.size(),
                        (othersAnswered - asked) / 1_000_000);

                // Nothing lost, nothing twice.
                Await.until("an audit row for every answer", WAIT, () -> AuditRows.read(db).keySet().containsAll(all));
                assertThat(AuditRows.read(db).keySet()).containsExactlyInAnyOrderElementsOf(all);
                assertThat(AuditRows.count(db)).as("audit rows, duplicates included").isEqualTo(all.size());
                AuditVerifier.Report chains = AuditVerifier.verify(db, rows -> {});
                assertThat(chains.intact()).as("%s %s", chains.breaks(), chains.notices()).isTrue();
                for (String id : all) {
                    JsonNode first = io.sluice.schemas.json.ResponseJson.content(chat.responses(id).get(0).toString());
                    for (JsonNode copy : chat.responses(id)) {
                        assertThat(io.sluice.schemas.json.ResponseJson.content(copy.toString())).isEqualTo(first);
                    }
                }
                System.out.println("job restarts during the faults: " + (Faults.restarted(cluster, job) ? "yes" : "none"));
            } finally {
                job.cancel().get();
            }
        }
    }

    private static long failedCheckpoints(MiniCluster cluster, JobClient job) throws Exception {
        var stats = cluster.getExecutionGraph(job.getJobID()).get().getCheckpointStatsSnapshot();
        return stats == null ? 0 : stats.getCounts().getNumberOfFailedCheckpoints();
    }
}
