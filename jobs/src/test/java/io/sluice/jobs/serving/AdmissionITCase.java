package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.Bursts;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant's rate limit is exact across parallel instances and failures: 1,000 requests of one
 * tenant, sent concurrently over 25 conversations and two partitions at one event time, against a
 * bucket of 120 that refills one request a minute, while a TaskManager is killed halfway. Exactly
 * 120 turns reach the audit trail and every other request is refused {@code RATE_LIMITED}, saying
 * when to come back; another tenant without a limit is answered in full throughout.
 */
class AdmissionITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(1)
            .setConfiguration(TestClusters.restarting(50, "500 ms")).build());

    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int LIMITED = 1_000;
    private static final int BURST = 120;
    private static final int UNLIMITED = 40;
    private static final int CONVERSATIONS = 25;
    /** One event time for every request: an hour ago (brokers keep a topic's records by their timestamps). */
    private static final long EVENT_TIME = Instant.now().minusSeconds(3600).toEpochMilli() / 1000 * 1000;

    @TempDir
    Path work;

    private static String request(String id, String tenant, String conversation) {
        return "{\"requestId\":\"" + id + "\",\"tenantId\":\"" + tenant + "\",\"conversationId\":\"" + conversation
                + "\",\"message\":\"How many days do I have to request a refund?\"}";
    }

    /** Sends requests {@code from} (inclusive) to {@code to} of both tenants at once. */
    private static void sendConcurrently(String servers, int from, int to) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", servers,
                "acks", "all", "linger.ms", 0), new StringSerializer(), new StringSerializer())) {
            Bursts.send(producer, from, to, i -> {
                String conversation = "conv-" + (i % CONVERSATIONS);
                List<ProducerRecord<String, String>> records = new ArrayList<>(List.of(new ProducerRecord<>(
                        LocalStack.REQUESTS_TOPIC, null, EVENT_TIME, conversation,
                        request("lim-" + i, TestCorpus.ACME, conversation))));
                if (i % (LIMITED / UNLIMITED) == 0) {
                    records.add(new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null, EVENT_TIME, conversation,
                            request("free-" + i, TestCorpus.GLOBEX, conversation)));
                }
                return records;
            });
        }
    }

    @Test
    void exactlyTheBurstIsAdmittedAcrossSubtasksAndAFailure(@InjectMiniCluster MiniCluster cluster) throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2)) {
            TestCorpus.backfill(work);
            Path tenants = Files.writeString(work.resolve("tenants.json"), "{\"tenants\":["
                    + "{\"id\":\"" + TestCorpus.ACME + "\",\"rateLimit\":{\"requestsPerMinute\":1,\"burst\":" + BURST
                    + "}},{\"id\":\"" + TestCorpus.GLOBEX + "\"}]}");
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_FILE, tenants.toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(1000);
            env.setParallelism(2);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("admission-itcase");

            List<String> limited = IntStream.range(0, LIMITED).mapToObj(i -> "lim-" + i).toList();
            List<String> free = IntStream.range(0, LIMITED).filter(i -> i % (LIMITED / UNLIMITED) == 0)
                    .mapToObj(i -> "free-" + i).toList();
            try (ChatClient reader = stack.client(false, true); Connection db = stack.openAuditConnection()) {
                sendConcurrently(stack.bootstrapServers(), 0, LIMITED / 2);
                Await.until("outcomes for a third of the requests", WAIT, () -> limited.stream()
                        .filter(id -> !reader.responses(id).isEmpty() || !reader.rejections(id).isEmpty())
                        .count() >= LIMITED / 3);
                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();
                sendConcurrently(stack.bootstrapServers(), LIMITED / 2, LIMITED);
                Await.until("the job to restart", WAIT, () -> cluster.getExecutionGraph(job.getJobID()).get()
                        .getStatusTimestamp(JobStatus.RESTARTING) > 0);
                Await.until("an outcome for every request", WAIT, () -> limited.stream().allMatch(
                        id -> !reader.responses(id).isEmpty() || !reader.rejections(id).isEmpty())
                        && free.stream().allMatch(id -> !reader.responses(id).isEmpty()));
                Await.until("the audit rows of every answered turn", WAIT, () -> AuditRows.read(db).keySet()
                        .containsAll(free) && AuditRows.read(db).keySet().stream().filter(id -> id.startsWith("lim-"))
                        .count() >= BURST);

                Map<String, AuditRows.Row> rows = AuditRows.read(db);
                Set<String> admitted = rows.keySet().stream().filter(id -> id.startsWith("lim-"))
                        .collect(Collectors.toSet());
                assertThat(admitted).as("turns of the limited tenant in the audit trail").hasSize(BURST);
                assertThat(AuditRows.count(db)).as("audit rows, duplicates included").isEqualTo(BURST + free.size());
                assertThat(rows.keySet()).containsAll(free);

                List<String> refused = limited.stream().filter(id -> !admitted.contains(id)).toList();
                assertThat(refused).hasSize(LIMITED - BURST);
                for (String id : refused) {
                    List<JsonNode> rejections = reader.rejections(id);
                    assertThat(rejections).as("refusal of %s", id).isNotEmpty();
                    for (JsonNode r : rejections) {
                        assertThat(r.path("reason").asText()).as("refusal of %s", id).isEqualTo("RATE_LIMITED");
                        assertThat(r.path("stage").asText()).isEqualTo("admission");
                        // No refill at one event time: the next request is one minute away.
                        assertThat(r.path("retryAfterMs").asLong()).isEqualTo(60_000L);
                        assertThat(r.path("retryAt").asText())
                                .isEqualTo(Instant.ofEpochMilli(EVENT_TIME + 60_000).toString());
                    }
                }
                for (String id : free) {
                    assertThat(reader.rejections(id)).as("rejections of the unlimited tenant's %s", id).isEmpty();
                }
            } finally {
                job.cancel().get();
            }
        }
    }
}
