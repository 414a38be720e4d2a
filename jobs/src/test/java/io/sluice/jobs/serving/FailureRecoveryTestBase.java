package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a TaskManager while the serving job answers a stream of conversations, lets the job recover
 * from its last checkpoint, and checks what the product promises: every request has exactly one
 * audit row, answers repeated after recovery carry the same content, each conversation's turns keep
 * their order and history. Subclasses fix the delivery mode of chat.responses.
 */
abstract class FailureRecoveryTestBase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(2)
                    .setNumberSlotsPerTaskManager(1)
                    .setConfiguration(clusterConfig())
                    .build());

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int CONVERSATIONS = 4;
    private static final int TURNS = 4;
    private static final String[] QUESTIONS = {
        "How many days do I have to request a refund?",
        "How long does standard shipping take?",
        "Does the warranty cover water damage?",
        "How are refunds paid back?"
    };

    @TempDir
    Path work;

    static Configuration clusterConfig() {
        return TestClusters.restarting(50, "500 ms");
    }

    abstract ServingOptions.Delivery delivery();

    /** The answer model requests name; null for the job's default (extractive). */
    String answerModel() {
        return null;
    }

    /** Adds what the subclass's answer model needs to the job's configuration. */
    void configure(Configuration conf) {}

    private static String id(int conversation, int turn) {
        return "f-" + conversation + "-" + turn;
    }

    private void sendTurn(ChatClient chat, int turn) {
        for (int c = 0; c < CONVERSATIONS; c++) {
            chat.send(id(c, turn), TestCorpus.ACME, "conv-" + c, QUESTIONS[(c + turn) % QUESTIONS.length],
                    answerModel());
        }
    }

    @Test
    void recoversFromATaskManagerLossWithoutLosingOrDuplicatingAnything(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        boolean exactlyOnce = delivery() == ServingOptions.Delivery.EXACTLY_ONCE;
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2)) {
            Path index = work.resolve("index");
            TestCorpus.backfill(work);

            Configuration conf = stack.servingConfig(index);
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.RESPONSES_DELIVERY, delivery());
            configure(conf);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(1500);
            env.setParallelism(2);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("failure-itcase-" + delivery());

            List<String> all = new ArrayList<>();
            for (int t = 0; t < TURNS; t++) {
                for (int c = 0; c < CONVERSATIONS; c++) {
                    all.add(id(c, t));
                }
            }
            // The observer sees records as soon as they are written, committed or not.
            try (ChatClient reader = stack.client(exactlyOnce, true);
                    ChatClient observer = exactlyOnce ? stack.client(false, true) : reader;
                    Connection db = stack.openAuditConnection()) {
                sendTurn(reader, 0);
                sendTurn(reader, 1);
                List<String> firstTwo = all.subList(0, 2 * CONVERSATIONS);
                Await.until("audit rows of the first two turns", WAIT,
                        () -> AuditRows.read(db).keySet().containsAll(firstTwo));

                // Fail while turn 2 is partly answered but not yet checkpointed.
                sendTurn(reader, 2);
                assertThat(observer.awaitCondition(() -> !observer.responses(id(0, 2)).isEmpty()
                        || !observer.responses(id(1, 2)).isEmpty(), WAIT)).isTrue();
                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();
                sendTurn(reader, 3);
                Await.until("the job to restart", WAIT, () -> cluster.getExecutionGraph(job.getJobID()).get()
                        .getStatusTimestamp(JobStatus.RESTARTING) > 0);

                Await.until("a response to every request", WAIT,
                        () -> all.stream().allMatch(r -> !reader.responses(r).isEmpty()));
                Await.until("an audit row for every request", WAIT,
                        () -> AuditRows.read(db).keySet().containsAll(all));

                Map<String, AuditRows.Row> rows = AuditRows.read(db);
                assertThat(rows.keySet()).containsExactlyInAnyOrderElementsOf(all);
                assertThat(AuditRows.count(db)).as("audit rows, duplicates included").isEqualTo(all.size());
                // The hash chains survived the failure: no gap, no fork, no rewritten row.
                AuditVerifier.Report chains = AuditVerifier.verify(db, read -> {});
                assertThat(chains.breaks()).isEmpty();
                assertThat(chains.notices()).as("forks or quarantined rows").isEmpty();
                assertThat(chains.unchained()).isZero();
                assertThat(chains.conversations()).isEqualTo(CONVERSATIONS);
                for (int c = 0; c < CONVERSATIONS; c++) {
                    for (int t = 0; t < TURNS; t++) {
                        String id = id(c, t);
                        List<JsonNode> copies = reader.responses(id);
                        if (exactlyOnce) {
                            assertThat(copies).as("committed responses of %s", id).hasSize(1);
                        }
                        JsonNode content = ResponseJson.content(copies.get(0).toString());
                        for (JsonNode copy : copies) {
                            assertThat(ResponseJson.content(copy.toString())).as("repeat of %s", id).isEqualTo(content);
                        }
                        // Order and history: turn t saw exactly the t turns before it.
                        assertThat(content.path("historyTurns").asInt()).as("history of %s", id).isEqualTo(t);
                        assertThat(rows.get(id).answer()).isEqualTo(content.path("answer").asText());
                        assertThat(rows.get(id).historyTurns()).isEqualTo(t);
                        // A streaming reader that drops piece numbers it has seen gets the answer.
                        StringBuilder streamed = new StringBuilder();
                        int seen = -1;
                        for (JsonNode piece : reader.pieces(id)) {
                            if (piece.path("sequence").asInt() > seen) {
                                seen = piece.path("sequence").asInt();
                                streamed.append(piece.path("text").asText());
                            }
                        }
                        if (answerModel() != null) {
                            assertThat(streamed.toString()).as("pieces of %s", id).isEqualTo(content.path("answer").asText());
                        }
                    }
                }
            } finally {
                job.cancel().get();
            }
        }
    }
}
