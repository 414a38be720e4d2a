package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.MemorySpans;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;
import io.sluice.operators.batch.QuestionEmbedder;
import io.sluice.schemas.TraceParent;

import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Traces of the serving job (OpenTelemetry, exported here to {@link MemorySpans}): a request that
 * comes with a W3C traceparent (as the gateway sends it) gets one span per stage in that trace,
 * each the child of the one before — validate, admission, embed, retrieve, conversation — with its
 * model calls (a failed first call and the fallback that finished the answer) and its audit row's
 * write under the conversation's span; the audit row names the trace. A request without one is
 * traced under the id derived from its position.
 */
class TracingITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @TempDir
    static Path work;

    private static LocalStack stack;
    private static OpenAiStandInServer model;
    private static JobClient job;

    @BeforeAll
    static void serve() throws Exception {
        System.setProperty("otel.bsp.schedule.delay", "100"); // export within a tenth of a second
        stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
        model = new OpenAiStandInServer();
        TestCorpus.backfill(work);
        // "shaky" cuts its stream after two pieces; "steady" finishes the answer.
        Path policy = Files.writeString(work.resolve("routing.json"), "{\"version\": 1, \"profiles\": ["
                + "{\"name\": \"shaky\", \"backend\": \"openai\", \"baseUrl\": \"" + model.baseUrl() + "\", "
                + "\"model\": \"drop\", \"maxRetries\": 0, \"fallbacks\": [\"steady\"]},"
                + "{\"name\": \"steady\", \"backend\": \"openai\", \"baseUrl\": \"" + model.baseUrl() + "\", "
                + "\"model\": \"echo\"}]}");
        Configuration conf = stack.servingConfig(work.resolve("index"));
        conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
        conf.set(ServingOptions.ROUTING_POLICY, policy.toString());
        conf.set(ServingOptions.TRACING_EXPORTER, MemorySpans.NAME);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        env.enableCheckpointing(500);
        env.setParallelism(2);
        ServingJob.fromConfiguration(conf).build(env);
        job = env.executeAsync("tracing-itcase");
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("otel.bsp.schedule.delay");
        if (job != null) {
            job.cancel().get();
        }
        if (stack != null) {
            stack.close();
        }
        if (model != null) {
            model.close();
        }
    }

    private static void send(String id, String answerModel, String traceParent) throws Exception {
        byte[] payload = ("{\"requestId\":\"" + id + "\",\"tenantId\":\"" + TestCorpus.ACME + "\",\"conversationId\":"
                + "\"conv-" + id + "\",\"message\":\"How many days do I have to request a refund?\",\"answerModel\":\""
                + answerModel + "\"}").getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null, payload);
        if (traceParent != null) {
            record.headers().add(TraceParent.HEADER, traceParent.getBytes(StandardCharsets.US_ASCII));
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                stack.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(record).get();
        }
    }

    /** The audit row's content of {@code requestId}, once written. */
    private static JsonNode auditContent(String requestId) throws Exception {
        JsonNode[] row = {null};
        try (Connection db = stack.openAuditConnection()) {
            Await.until("the audit row of " + requestId, WAIT, () -> {
                try (PreparedStatement st = db.prepareStatement("SELECT content FROM audit_turns WHERE request_id = ?")) {
                    st.setString(1, requestId);
                    try (ResultSet rs = st.executeQuery()) {
                        if (rs.next()) {
                            row[0] = new ObjectMapper().readTree(rs.getString(1));
                        }
                    }
                } catch (java.sql.SQLException e) {
                    return false; // the table appears with the first row
                }
                return row[0] != null;
            });
        }
        return row[0];
    }

    private static SpanData only(List<SpanData> spans, String name) {
        List<SpanData> named = spans.stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(named).as("spans named %s in %s", name, names(spans)).hasSize(1);
        return named.get(0);
    }

    private static List<String> names(List<SpanData> spans) {
        return spans.stream().map(SpanData::getName).sorted().toList();
    }

    @Test
    void oneTraceFromTheCallerThroughEveryStageToTheModelCallsAndTheAuditRow() throws Exception {
        send("t-1", "shaky", "00-" + CALLER_TRACE + "-" + CALLER_SPAN + "-01");
        try (ChatClient chat = stack.client(false, false)) {
            assertThat(chat.await("t-1", WAIT).rejected()).as("rejection of t-1").isFalse();
        }
        assertThat(auditContent("t-1").path("traceId").asText()).isEqualTo(CALLER_TRACE);
        Await.until("the audit span of t-1", WAIT, () -> MemorySpans.ofTrace(CALLER_TRACE).stream()
                .anyMatch(s -> s.getName().equals("audit")));
        List<SpanData> trace = MemorySpans.ofTrace(CALLER_TRACE);
        assertThat(names(trace)).containsExactlyInAnyOrder("validate", "admission", "embed", "retrieve",
                "conversation", "model", "model", "audit");
        // Each stage is the child of the one before; the first, of the caller's span.
        String parent = CALLER_SPAN;
        long previousEnd = 0;
        for (String stage : List.of("validate", "admission", "embed", "retrieve", "conversation")) {
            SpanData span = only(trace, stage);
            assertThat(span.getParentSpanId()).as("parent of %s", stage).isEqualTo(parent);
            assertThat(span.getAttributes().asMap().toString()).contains("t-1");
            // A stage's span ends when it hands the request on, before the next begins, even when
            // the next is chained to it (retrieve and conversation): the gap between is the hand-over.
            assertThat(span.getStartEpochNanos()).as("start of %s", stage).isGreaterThanOrEqualTo(previousEnd);
            parent = span.getSpanId();
            previousEnd = span.getEndEpochNanos();
        }
        // The embed span goes on past its model call until the question is handed on.
        SpanData embed = only(trace, "embed");
        assertThat(embed.getEvents()).singleElement().satisfies(e -> {
            assertThat(e.getName()).isEqualTo(QuestionEmbedder.CALL_ENDED);
            assertThat(e.getEpochNanos()).isBetween(embed.getStartEpochNanos(), embed.getEndEpochNanos());
        });
        String conversation = parent;
        assertThat(only(trace, "audit").getParentSpanId()).isEqualTo(conversation);
        // The failover: the first call failed, the fallback finished the answer; both under the turn.
        List<SpanData> calls = trace.stream().filter(s -> s.getName().equals("model"))
                .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        assertThat(calls).allSatisfy(c -> assertThat(c.getParentSpanId()).isEqualTo(conversation));
        assertThat(calls.get(0).getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(calls.get(0).getAttributes().asMap().toString()).contains("shaky");
        assertThat(calls.get(1).getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);
        assertThat(calls.get(1).getAttributes().asMap().toString()).contains("steady");
        // Spans nest in time as in the graph: the turn's covers its model calls.
        SpanData turn = only(trace, "conversation");
        assertThat(calls).allSatisfy(c -> assertThat(c.getStartEpochNanos()).isGreaterThanOrEqualTo(
                turn.getStartEpochNanos()));
    }

    @Test
    void aRequestWithoutATraceparentIsTracedUnderTheIdOfItsPosition() throws Exception {
        send("t-2", "extractive", null);
        try (ChatClient chat = stack.client(false, false)) {
            assertThat(chat.await("t-2", WAIT).rejected()).as("rejection of t-2").isFalse();
        }
        JsonNode row = auditContent("t-2");
        assertThat(row.has("traceId")).as("a derived trace id is not recorded: the position names it").isFalse();
        String traceId = TraceParent.derivedTraceId(row.path("partition").asInt(), row.path("offset").asLong());
        Await.until("the audit span of t-2", WAIT, () -> MemorySpans.ofTrace(traceId).stream()
                .anyMatch(s -> s.getName().equals("audit")));
        List<SpanData> trace = MemorySpans.ofTrace(traceId);
        assertThat(names(trace)).containsExactlyInAnyOrder("validate", "admission", "embed", "retrieve",
                "conversation", "model", "audit");
        assertThat(only(trace, "validate").getParentSpanId()).as("the root").isEqualTo("0000000000000000");
        Set<String> ids = trace.stream().map(SpanData::getSpanId).collect(Collectors.toSet());
        assertThat(trace).filteredOn(s -> !s.getName().equals("validate"))
                .allSatisfy(s -> assertThat(ids).as("parent of %s in the trace", s.getName()).contains(s.getParentSpanId()));
    }
}
