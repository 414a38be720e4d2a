package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.OpenAiStandInServer;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
 * The serving job end to end on real Kafka (KRaft), real PostgreSQL and a Flink MiniCluster with
 * RocksDB: answers cite the right documents, history flows between turns, bad requests land in
 * chat.rejected with reasons, tenants are isolated, audit rows match responses one to one, and a
 * slow remote model answers rapid follow-ups in order, each seeing the answer before it.
 */
class ServingJobITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .setConfiguration(TestClusters.rocksDb())
                    .build());

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path work;

    private static LocalStack stack;
    private static JobClient job;
    private static ChatClient chat;
    private static String snapshotId;
    /** The remote answer model: an OpenAI-compatible server that takes 150 ms per streamed piece. */
    private static OpenAiStandInServer remote;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
        Path index = work.resolve("index");
        snapshotId = TestCorpus.backfill(work);

        remote = new OpenAiStandInServer();
        Configuration conf = stack.servingConfig(index);
        conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME, TestCorpus.GLOBEX));
        conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remote.baseUrl());
        conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "slow");
        conf.set(ServingOptions.ANSWER_TEMPERATURE, 0.3);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        env.enableCheckpointing(500);
        env.setParallelism(2);
        ServingJob.fromConfiguration(conf).build(env);
        job = env.executeAsync("serving-itcase");
        chat = stack.client(false, false);
    }

    @AfterAll
    static void stop() throws Exception {
        if (chat != null) {
            chat.close();
        }
        if (job != null) {
            job.cancel().get();
        }
        if (stack != null) {
            stack.close();
        }
        if (remote != null) {
            remote.close();
        }
    }

    private static JsonNode ask(String requestId, String tenant, String conversation, String message) throws Exception {
        chat.send(requestId, tenant, conversation, message);
        ChatClient.Reply reply = chat.await(requestId, WAIT);
        assertThat(reply.rejected()).as("rejection of %s: %s", requestId, reply.rejection()).isFalse();
        return reply.response();
    }

    private static List<String> citedDocuments(JsonNode response) {
        List<String> docs = new ArrayList<>();
        response.path("citations").forEach(c -> docs.add(c.path("documentId").asText()));
        return docs;
    }

    @Test
    void answersCiteTheRightDocumentsAndTurnsSeeTheirHistory() throws Exception {
        JsonNode first = ask("it-1", TestCorpus.ACME, "conv-refund", "How many days do I have to request a refund?");
        assertThat(citedDocuments(first)).contains("acme-refunds");
        assertThat(first.path("answer").asText()).contains("thirty days").contains("[");
        assertThat(first.path("snapshotId").asText()).isEqualTo(snapshotId);
        assertThat(first.path("historyTurns").asInt()).isZero();

        JsonNode second = ask("it-2", TestCorpus.ACME, "conv-refund", "How long does express shipping take?");
        assertThat(citedDocuments(second)).contains("acme-shipping");
        assertThat(second.path("historyTurns").asInt()).isEqualTo(1);

        JsonNode other = ask("it-3", TestCorpus.GLOBEX, "conv-lunch", "When does the cafeteria serve lunch?");
        assertThat(citedDocuments(other)).containsExactly("globex-lunch");
        assertThat(other.path("historyTurns").asInt()).isZero();
    }

    @Test
    void aTenantNeverRetrievesAnotherTenantsChunks() throws Exception {
        JsonNode probe = ask("it-10", TestCorpus.ACME, "conv-probe", "What is the codename of the secret merger plan with Initech?");
        assertThat(citedDocuments(probe)).allSatisfy(d -> assertThat(TestCorpus.TENANT_OF.get(d)).isEqualTo(TestCorpus.ACME));
        assertThat(probe.path("answer").asText()).doesNotContain("Falcon");

        JsonNode owner = ask("it-11", TestCorpus.GLOBEX, "conv-board", "What is the codename of the secret merger plan with Initech?");
        assertThat(citedDocuments(owner)).contains("globex-merger");
        assertThat(owner.path("answer").asText()).contains("Project Falcon");

        try (Connection c = stack.openAuditConnection()) {
            Await.until("audit rows of it-10", WAIT, () -> AuditRows.read(c).containsKey("it-10"));
            // Every chunk retrieved for acme's request, not only the cited ones, is acme's.
            String retrieved = AuditRows.read(c).get("it-10").retrieved();
            assertThat(retrieved).contains("acme-").doesNotContain("globex-");
        }
    }

    @Test
    void badRequestsLandInChatRejectedWithReasons() throws Exception {
        chat.sendRaw("k", "this is not json");
        chat.send("it-20", "initech", "conv-x", "Let me in");
        chat.sendRaw("conv-y", "{\"requestId\":\"it-21\",\"tenantId\":\"acme\",\"conversationId\":\"conv-y\"}");
        chat.sendRaw("conv-y", "{\"requestId\":\"it-22\",\"tenantId\":\"acme\",\"conversationId\":\"conv-y\",\"message\":\"hi\",\"parameters\":{\"topK\":999}}");

        assertThat(chat.await("it-20", WAIT).rejection().path("reason").asText()).isEqualTo("UNKNOWN_TENANT");
        assertThat(chat.await("it-21", WAIT).rejection().path("reason").asText()).isEqualTo("MISSING_FIELD");
        JsonNode tooBig = chat.await("it-22", WAIT).rejection();
        assertThat(tooBig.path("reason").asText()).isEqualTo("INVALID_FIELD");
        assertThat(tooBig.path("detail").asText()).contains("topK");
        assertThat(tooBig.path("payload").asText()).contains("999");
        assertThat(chat.awaitCondition(() -> chat.anonymousRejections().stream()
                .anyMatch(r -> r.path("payload").asText().equals("this is not json")
                        && r.path("reason").asText().equals("MALFORMED_JSON")), WAIT)).isTrue();

        // A repeated requestId in the same conversation is not answered twice.
        ask("it-23", TestCorpus.ACME, "conv-dup", "What does the warranty cover?");
        chat.send("it-23", TestCorpus.ACME, "conv-dup", "What does the warranty cover?");
        assertThat(chat.awaitCondition(() -> !chat.rejections("it-23").isEmpty(), WAIT)).isTrue();
        assertThat(chat.rejections("it-23").get(0).path("reason").asText()).isEqualTo("DUPLICATE_REQUEST");
        assertThat(chat.responses("it-23")).hasSize(1);

        // The job kept running through all of it.
        assertThat(job.getJobStatus().get().isTerminalState()).isFalse();
    }

    @Test
    void auditRowsMatchResponsesOneToOne() throws Exception {
        List<String> ids = List.of("it-30", "it-31", "it-32");
        ask(ids.get(0), TestCorpus.ACME, "conv-audit", "Does the warranty cover water damage?");
        ask(ids.get(1), TestCorpus.ACME, "conv-audit", "How are refunds paid back?");
        ask(ids.get(2), TestCorpus.GLOBEX, "conv-audit-2", "Which dishes are vegetarian?");
        try (Connection c = stack.openAuditConnection()) {
            Await.until("audit rows of " + ids, WAIT, () -> AuditRows.read(c).keySet().containsAll(ids));
            Map<String, AuditRows.Row> rows = AuditRows.read(c);
            for (String id : ids) {
                JsonNode response = chat.responses(id).get(0);
                AuditRows.Row row = rows.get(id);
                assertThat(row.answer()).isEqualTo(response.path("answer").asText());
                assertThat(row.contextHash()).isEqualTo(response.path("contextHash").asText());
                assertThat(row.snapshotId()).isEqualTo(snapshotId);
                assertThat(row.embeddingModel()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2@onnx-1")
                        .isEqualTo(response.path("embeddingModel").asText());
                assertThat(row.historyTurns()).isEqualTo(response.path("historyTurns").asInt());
                assertThat(row.conversationId()).isEqualTo(response.path("conversationId").asText());
                assertThat(ResponseJson.content(response.toString()).path("requestId").asText()).isEqualTo(id);
            }
            assertThat(rows.get("it-31").historyTurns()).isEqualTo(1);
            // No audit row without a response, and none twice.
            for (String id : rows.keySet()) {
                assertThat(chat.responses(id)).as("response of audited %s", id).isNotEmpty();
            }
            assertThat(AuditRows.count(c)).isEqualTo(rows.size());
        }
    }

    @Test
    void rapidFollowUpsToASlowRemoteModelEachSeeThePreviousAnswer() throws Exception {
        List<String> questions = List.of("How many days do I have to request a refund?",
                "How long does express shipping take?", "What does the warranty cover?");
        // Sent back to back: each answer takes over a second, so turns 2 and 3 arrive while turn 1
        // is still being generated.
        for (int i = 0; i < questions.size(); i++) {
            chat.send("gen-" + i, TestCorpus.ACME, "conv-gen", questions.get(i), ServingJob.REMOTE_MODEL);
        }
        chat.send("gen-other", TestCorpus.GLOBEX, "conv-gen-2", "When does the cafeteria serve lunch?",
                ServingJob.REMOTE_MODEL);
        List<JsonNode> answers = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            ChatClient.Reply reply = chat.await("gen-" + i, WAIT);
            assertThat(reply.rejected()).as("rejection: %s", reply.rejection()).isFalse();
            answers.add(reply.response());
        }
        for (int i = 0; i < questions.size(); i++) {
            JsonNode answer = answers.get(i);
            assertThat(answer.path("answer").asText()).isEqualTo("You said: " + questions.get(i) + " [1]");
            assertThat(answer.path("modelId").asText()).isEqualTo("openai-compatible:slow");
            assertThat(answer.path("historyTurns").asInt()).as("history of turn %d", i).isEqualTo(i);
            assertThat(answer.path("citations")).hasSize(1);
            // The streamed pieces, numbered from 0, make up the answer, which comes last.
            List<JsonNode> pieces = chat.pieces("gen-" + i);
            assertThat(pieces).extracting(p -> p.path("sequence").asInt())
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, pieces.size()).boxed().toList());
            assertThat(pieces.stream().map(p -> p.path("text").asText()).reduce("", String::concat))
                    .isEqualTo(answer.path("answer").asText());
            assertThat(answer.path("sequence").asInt()).isEqualTo(pieces.size());
            assertThat(answer.path("model").path("seed").asLong()).isEqualTo(GenerationParams.seedFor("gen-" + i));
            assertThat(answer.path("usage").path("completionTokens").asLong()).isPositive();
        }
        // The server was asked turn by turn, each prompt holding the answer before it.
        List<String> prompts = remote.requests.stream()
                .map(r -> r.path("messages").get(1).path("content").asText())
                .filter(p -> questions.stream().anyMatch(p::contains) && !p.contains("cafeteria"))
                .toList();
        assertThat(prompts).hasSize(3);
        for (int i = 1; i < questions.size(); i++) {
            assertThat(prompts.get(i)).contains(questions.get(i))
                    .contains(answers.get(i - 1).path("answer").asText());
        }
        assertThat(remote.requests).allSatisfy(r -> assertThat(r.path("temperature").asDouble()).isEqualTo(0.3));
        assertThat(chat.await("gen-other", WAIT).rejected()).isFalse();

        try (Connection c = stack.openAuditConnection()) {
            Await.until("audit rows of gen-2", WAIT, () -> AuditRows.read(c).containsKey("gen-2"));
            AuditRows.Row row = AuditRows.read(c).get("gen-2");
            assertThat(row.answerModel()).isEqualTo(ServingJob.REMOTE_MODEL);
            assertThat(row.modelId()).isEqualTo("openai-compatible:slow");
            JsonNode call = ResponseJson.parse(row.modelCall());
            assertThat(call.path("seed").asLong()).isEqualTo(GenerationParams.seedFor("gen-2"));
            assertThat(call.path("temperature").asDouble()).isEqualTo(0.3);
            assertThat(call.path("modelVersion").asText()).startsWith("slow");
            assertThat(call.path("finishReason").asText()).isEqualTo("stop");
        }

        chat.send("gen-bad", TestCorpus.ACME, "conv-gen", "Hello?", "gpt-99");
        JsonNode rejected = chat.await("gen-bad", WAIT).rejection();
        assertThat(rejected.path("reason").asText()).isEqualTo("INVALID_FIELD");
        assertThat(rejected.path("detail").asText()).contains("answerModel").contains("remote");
    }
}
