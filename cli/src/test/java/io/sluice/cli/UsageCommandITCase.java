package io.sluice.cli;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;
import io.sluice.operators.audit.AuditRecord;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Turns are priced by the price table (their answer records and audit rows carry the cost), and
 * {@code sluice usage} sums a tenant's turns, tokens and cost by answer model and API key over a
 * range of event time, from the audit trail: the figures equal what the answers said.
 */
class UsageCommandITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(120);
    /**
     * Noon of two recent days: brokers refuse timestamps more than an hour ahead of their clock and
     * delete records older than the topic's retention (7 days by default).
     */
    private static final LocalDate DAY = LocalDate.now(ZoneOffset.UTC).minusDays(3);
    private static final long DAY_ONE = DAY.atTime(12, 0).toInstant(ZoneOffset.UTC).toEpochMilli();
    private static final long DAY_TWO = DAY.plusDays(1).atTime(12, 0).toInstant(ZoneOffset.UTC).toEpochMilli();

    @TempDir
    Path work;

    private static String request(String id, String model, String key) {
        return "{\"requestId\":\"" + id + "\",\"tenantId\":\"" + TestCorpus.ACME + "\",\"conversationId\":\"c-" + id
                + "\",\"message\":\"How many days do I have to request a refund?\",\"answerModel\":\"" + model + "\""
                + (key == null ? "" : ",\"apiKeyId\":\"" + key + "\"") + "}";
    }

    @Test
    void turnsArePricedAndUsageSumsThemFromTheAuditTrail() throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 1);
                OpenAiStandInServer model = new OpenAiStandInServer()) {
            TestCorpus.backfill(work);
            Path prices = Files.writeString(work.resolve("prices.json"), "{\"version\":\"test-1\","
                    + "\"embeddingPerCall\":\"0.000001\",\"models\":{\"remote\":{\"promptPer1kTokens\":\"0.5\","
                    + "\"completionPer1kTokens\":\"1.5\"}}}");
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.PRICES_FILE, prices.toString());
            conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, model.baseUrl());
            conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "echo");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(500);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("usage-itcase");
            List<String[]> sent = List.of(new String[] {"u-1", "remote", "k1"}, new String[] {"u-2", "remote", "k1"},
                    new String[] {"u-3", "remote", null}, new String[] {"u-4", "extractive", "k1"},
                    new String[] {"u-5", "extractive", null});
            try (ChatClient reader = stack.client(false, true); Connection db = stack.openAuditConnection();
                    KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                            stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
                for (String[] r : sent) {
                    producer.send(new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null, DAY_ONE, "c-" + r[0],
                            request(r[0], r[1], r[2]))).get();
                }
                // The next day: outside the range asked for.
                producer.send(new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null, DAY_TWO, "c-u-6",
                        request("u-6", "remote", "k1"))).get();
                List<String> ids = List.of("u-1", "u-2", "u-3", "u-4", "u-5", "u-6");
                Await.until("every turn audited", WAIT, () -> AuditRows.read(db).keySet().containsAll(ids));

                long[] remoteK1 = new long[3];
                long[] remoteNone = new long[3];
                BigDecimal total = BigDecimal.ZERO;
                for (String[] r : sent) {
                    JsonNode answer = reader.await(r[0], WAIT).response();
                    long prompt = Math.max(0, answer.path("usage").path("promptTokens").asLong());
                    long completion = Math.max(0, answer.path("usage").path("completionTokens").asLong());
                    // $0.5 and $1.5 per 1,000 tokens, $0.000001 an embedding: billionths, rounded once.
                    long nano = r[1].equals("remote") ? Math.round((prompt * 500_000_000L + completion * 1_500_000_000L)
                            / 1000.0) + 1_000 : 1_000;
                    assertThat(new BigDecimal(answer.path("cost").path("usd").asText())).as("cost of %s", r[0])
                            .isEqualByComparingTo(BigDecimal.valueOf(nano, 9));
                    assertThat(answer.path("cost").path("priceVersion").asText()).isEqualTo("test-1");
                    total = total.add(BigDecimal.valueOf(nano, 9));
                    long[] into = r[1].equals("remote") ? (r[2] != null ? remoteK1 : remoteNone) : null;
                    if (into != null) {
                        into[0]++;
                        into[1] += prompt;
                        into[2] += completion;
                    }
                }
                assertThat(remoteK1[1]).as("the model reported prompt tokens").isPositive();
                try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                        "SELECT content FROM audit_turns WHERE request_id = 'u-1'")) {
                    rs.next();
                    JsonNode row = AuditRecord.parse(rs.getString(1));
                    assertThat(row.path("cost").path("priceVersion").asText()).isEqualTo("test-1");
                    assertThat(row.path("apiKeyId").asText()).isEqualTo("k1");
                }

                StringWriter out = new StringWriter();
                CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out))
                        .setErr(new PrintWriter(new StringWriter()));
                assertThat(cli.execute("usage", "--jdbc-url", stack.jdbcUrl(), "--jdbc-user", stack.jdbcUser(),
                        "--tenant", TestCorpus.ACME, "--from", DAY.toString(), "--to", DAY.plusDays(1).toString())).as(out.toString())
                        .isZero();
                List<String> lines = new ArrayList<>(List.of(out.toString().split("\n")));
                assertThat(lines.get(0)).contains("tenant acme", DAY + "T00:00:00Z", DAY.plusDays(1) + "T00:00:00Z");
                assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s+")).containsExactly("extractive", "-", "1",
                        "0", "0", "0.000001000"));
                assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s+")).containsExactly("extractive", "k1", "1",
                        "0", "0", "0.000001000"));
                assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s+")).startsWith("remote", "k1",
                        Long.toString(remoteK1[0]), Long.toString(remoteK1[1]), Long.toString(remoteK1[2])));
                assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s+")).startsWith("remote", "-",
                        Long.toString(remoteNone[0]), Long.toString(remoteNone[1]), Long.toString(remoteNone[2])));
                String totalUsd = total.setScale(9).toPlainString();
                assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s+")).startsWith("total", "5").endsWith(
                        totalUsd));
                assertThat(out.toString()).contains("cost per 1,000 messages: " + total.multiply(BigDecimal.valueOf(1000))
                        .divide(BigDecimal.valueOf(5), 9, java.math.RoundingMode.HALF_UP).toPlainString() + " USD");
            } finally {
                job.cancel().get();
            }
        }
    }
}
