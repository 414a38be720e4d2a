package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.Bursts;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.OpenAiStandInServer;
import io.sluice.operators.admission.Admission;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token budgets are exact across parallel subtasks, a TaskManager failure and a model that fails:
 * a tenant whose daily budget holds exactly {@value #N1} worst-case turns gets 1,000 generative
 * requests at once (over two partitions) while the model holds every answer
 * back (one conversation each, so that every admitted turn reaches the model at once), and a
 * TaskManager is killed halfway. Exactly {@value #N1} turns are answered and audited,
 * every other request is refused {@code BUDGET_EXHAUSTED}; once the answers are in, the admission
 * stage's ledger (read from the refusal of a request too large for any budget) holds exactly the
 * tokens the audit trail records and nothing reserved. A second burst is admitted against what is
 * left, to the turn, while the model fails every other call: failed turns give their reservation
 * back and spend nothing.
 */
class BudgetITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(2).setNumberSlotsPerTaskManager(1)
            .setConfiguration(TestClusters.restarting(50, "500 ms")).build());

    private static final Duration WAIT = Duration.ofSeconds(180);
    private static final int BURST = 1_000;
    private static final int MAX_TOKENS = 16;
    /** A turn's worst case: the default 1,024 context tokens, the answer's 16, the prompt's overhead. */
    private static final long WORST_CASE = 1024 + MAX_TOKENS + Admission.PROMPT_OVERHEAD_TOKENS;
    private static final int N1 = 20;
    private static final long BUDGET = N1 * WORST_CASE;
    /** One event time for every request: an hour ago (brokers keep a topic's records by their timestamps). */
    private static final long EVENT_TIME = Instant.now().minusSeconds(3600).toEpochMilli();
    private static final Pattern LEDGER = Pattern.compile("budget (\\d+), settled (\\d+), reserved (\\d+)");

    @TempDir
    Path work;

    private static String request(String id, String conversation, String parameters) {
        return "{\"requestId\":\"" + id + "\",\"tenantId\":\"" + TestCorpus.ACME + "\",\"conversationId\":\""
                + conversation + "\",\"message\":\"How many days do I have to request a refund?\"" + parameters + "}";
    }

    /** Sends {@code count} requests named {@code prefix + i} at once, all at one event time. */
    private static List<String> burst(KafkaProducer<String, String> producer, String prefix, int count)
            throws Exception {
        // A conversation each: an admitted turn never waits behind another, so it reaches the model as
        // soon as it is admitted.
        Bursts.send(producer, 0, count, i -> List.of(new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null,
                EVENT_TIME, prefix + "conv-" + i, request(prefix + i, prefix + "conv-" + i, ""))));
        return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
    }

    /**
     * Waits until every request sent before now has passed admission: an extractive request of the
     * same tenant in each partition reaches the tenant's admission subtask after everything before it
     * in its partition, and is answered at once.
     */
    private static void fence(KafkaProducer<String, String> producer, ChatClient reader, String name)
            throws Exception {
        for (int partition = 0; partition < 2; partition++) {
            String id = name + "-" + partition;
            producer.send(new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, partition, EVENT_TIME, id,
                    request(id, id, ",\"answerModel\":\"extractive\""))).get();
            assertThat(reader.await(id, WAIT).rejected()).as("fence %s", id).isFalse();
        }
    }

    /** Request ids whose generation reached the model (by the seed each call carries). */
    private static Set<String> called(OpenAiStandInServer model, List<String> ids) {
        Map<Long, String> bySeed = ids.stream().collect(Collectors.toMap(GenerationParams::seedFor, id -> id));
        return model.requests.stream().map(r -> bySeed.get(r.path("seed").asLong())).filter(id -> id != null)
                .collect(Collectors.toSet());
    }

    private static boolean allDecided(ChatClient reader, OpenAiStandInServer model, List<String> ids) {
        Set<String> called = called(model, ids);
        return ids.stream().allMatch(id -> called.contains(id) || !reader.rejections(id).isEmpty());
    }

    /** The tokens the audit trail records for the turns whose ids start with {@code prefix}. */
    private static long auditedTokens(Connection db, String prefix) throws Exception {
        long tokens = 0;
        for (AuditRows.Row row : AuditRows.read(db).values()) {
            if (row.requestId().startsWith(prefix)) {
                JsonNode call = ResponseJson.parse(row.modelCall());
                tokens += call.path("promptTokens").asLong() + call.path("completionTokens").asLong();
            }
        }
        return tokens;
    }

    /**
     * The tenant's daily ledger, as a request too large for any budget is told it: (settled,
     * reserved). Such a request is refused without changing anything.
     */
    private static long[] ledger(ChatClient reader, KafkaProducer<String, String> producer, String id)
            throws Exception {
        producer.send(new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null, EVENT_TIME, "probe",
                request(id, "probe", ",\"parameters\":{\"contextTokens\":190000}"))).get();
        JsonNode refusal = reader.await(id, WAIT).rejection();
        assertThat(refusal.path("reason").asText()).isEqualTo("BUDGET_EXHAUSTED");
        Matcher m = LEDGER.matcher(refusal.path("detail").asText());
        assertThat(m.find()).as(refusal.toString()).isTrue();
        assertThat(Long.parseLong(m.group(1))).isEqualTo(BUDGET);
        return new long[] {Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
    }

    /** Asks for the ledger until nothing is reserved; returns what is settled. */
    private static long settledOnceNothingIsReserved(ChatClient reader, KafkaProducer<String, String> producer,
            String prefix) throws Exception {
        long[] ledger = {0, -1};
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (int probe = 0; ledger[1] != 0 && System.nanoTime() < deadline; probe++) {
            ledger = ledger(reader, producer, prefix + probe);
        }
        assertThat(ledger[1]).as("tokens still reserved").isZero();
        return ledger[0];
    }

    @Test
    void budgetsAreExactAcrossSubtasksAFailureAndAFailingModel(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
                OpenAiStandInServer model = new OpenAiStandInServer()) {
            TestCorpus.backfill(work);
            Path tenants = Files.writeString(work.resolve("tenants.json"), "{\"tenants\":[{\"id\":\"" + TestCorpus.ACME
                    + "\",\"answerModel\":\"remote\",\"maxContextTokens\":200000,\"tokenBudget\":{\"tokensPerDay\":"
                    + BUDGET + "}}]}");
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_FILE, tenants.toString());
            conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, model.baseUrl());
            conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "gate");
            conf.set(ServingOptions.ANSWER_MAX_TOKENS, MAX_TOKENS);
            conf.set(ServingOptions.ANSWER_REMOTE_READ_TIMEOUT, Duration.ofMinutes(5));
            conf.set(ServingOptions.ANSWER_REMOTE_TOTAL_TIMEOUT, Duration.ofMinutes(5));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(500);
            env.setParallelism(2);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("budget-itcase");
            try (ChatClient reader = stack.client(false, true); Connection db = stack.openAuditConnection();
                    KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                            stack.bootstrapServers(), "acks", "all", "linger.ms", 0), new StringSerializer(),
                            new StringSerializer())) {
                // 1. Exactly N1 of 1,000 are admitted while none can settle, through a TaskManager loss.
                model.closeGate();
                List<String> first = burst(producer, "a-", BURST / 2);
                Await.until("a third of the first burst decided", WAIT, () -> first.stream().filter(id ->
                        called(model, first).contains(id) || !reader.rejections(id).isEmpty()).count() >= BURST / 6);
                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();
                List<String> all = new ArrayList<>(first);
                all.addAll(burst(producer, "a-" + BURST / 2 + "-", BURST / 2));
                Await.until("the job to restart", WAIT, () -> cluster.getExecutionGraph(job.getJobID()).get()
                        .getStatusTimestamp(JobStatus.RESTARTING) > 0);
                // After the restore, requests the failed attempt decided may be decided again: wait until
                // all are, so that no settlement can free budget for them (and until their refusals and
                // calls are seen).
                fence(producer, reader, "fence-1");
                Await.until("every request of the first burst decided", WAIT, () -> allDecided(reader, model, all));
                model.openGate();
                Await.until("the admitted turns audited", WAIT, () -> AuditRows.read(db).keySet().stream()
                        .filter(id -> id.startsWith("a-")).count() >= N1);
                long settled = settledOnceNothingIsReserved(reader, producer, "probe-1-");
                Set<String> audited = AuditRows.read(db).keySet().stream().filter(id -> id.startsWith("a-"))
                        .collect(Collectors.toSet());
                assertThat(audited).as("turns of the first burst answered and audited").hasSize(N1);
                for (String id : all) {
                    if (!audited.contains(id)) {
                        assertThat(reader.rejections(id)).as("refusal of %s", id).isNotEmpty()
                                .allSatisfy(r -> assertThat(r.path("reason").asText()).isEqualTo("BUDGET_EXHAUSTED"));
                    }
                }
                long firstTokens = auditedTokens(db, "a-");
                assertThat(settled).as("the ledger against the audit trail").isEqualTo(firstTokens);

                // 2. What is left admits exactly (BUDGET - spent) / WORST_CASE; failed turns spend nothing.
                long n2 = (BUDGET - settled) / WORST_CASE;
                model.closeGate();
                model.failEveryOther(true);
                List<String> second = burst(producer, "b-", BURST);
                Await.until("every request of the second burst decided", WAIT, () -> allDecided(reader, model, second));
                assertThat(called(model, second)).as("turns of the second burst admitted").hasSize((int) n2);
                model.openGate();
                Await.until("every admitted turn answered or failed", WAIT, () -> called(model, second).stream()
                        .allMatch(id -> !reader.responses(id).isEmpty() || reader.rejections(id).stream()
                                .anyMatch(r -> r.path("reason").asText().equals("MODEL_FAILED"))));
                long failed = called(model, second).stream().filter(id -> reader.responses(id).isEmpty()).count();
                assertThat(failed).as("turns the model failed").isEqualTo(n2 / 2);
                Await.until("the answered turns audited", WAIT, () -> AuditRows.read(db).keySet().stream()
                        .filter(id -> id.startsWith("b-")).count() >= n2 - failed);
                long total = settledOnceNothingIsReserved(reader, producer, "probe-2-");
                System.out.printf("BudgetITCase: budget %d tokens, worst case %d a turn; first burst %d admitted, "
                        + "%d tokens spent; second burst %d admitted, %d failed, ledger %d tokens%n", BUDGET,
                        WORST_CASE, N1, firstTokens, n2, failed, total);
                assertThat(total).as("the ledger against the audit trail").isEqualTo(firstTokens
                        + auditedTokens(db, "b-"));
                assertThat(total).isLessThanOrEqualTo(BUDGET);
            } finally {
                job.cancel().get();
            }
        }
    }
}
