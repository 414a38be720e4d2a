package io.sluice.cli;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.jobs.testing.Await;
import io.sluice.local.ChatClient;
import io.sluice.local.EmbeddedKafka;
import io.sluice.local.LocalStack;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant's limits change while the job runs: {@code sluice limits} publishes a new rate limit with
 * a time it takes effect, and requests from that event time on are held to it — no restart. The
 * tenants file gives acme a burst of 2 that refills one request a minute; the update raises the
 * burst to 5. Ten minutes later (event time) the bucket has refilled to its capacity: 5 requests are
 * admitted, not the file's 2. And it publishes to a broker that authenticates its clients, given the
 * login in a {@code --kafka-properties} file, which may not set what the command decides.
 */
class LimitsCommandITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(120);
    /** An hour ago, whole seconds: brokers keep a topic's records by their timestamps. */
    private static final long T = Instant.now().minusSeconds(3600).toEpochMilli() / 1000 * 1000;

    @TempDir
    Path work;

    private static ProducerRecord<String, String> request(String id, long eventTime) {
        return new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null, eventTime, "c-" + id, "{\"requestId\":\"" + id
                + "\",\"tenantId\":\"" + TestCorpus.ACME + "\",\"conversationId\":\"c-" + id
                + "\",\"message\":\"How many days do I have to request a refund?\"}");
    }

    @Test
    void aNewRateLimitHoldsFromItsEventTimeWithoutARestart() throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 1)) {
            TestCorpus.backfill(work);
            Path tenants = Files.writeString(work.resolve("tenants.json"), "{\"tenants\": [{\"id\": \""
                    + TestCorpus.ACME + "\", \"rateLimit\": {\"requestsPerMinute\": 1, \"burst\": 2}}]}");
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_FILE, tenants.toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(500);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("limits-itcase");
            try (ChatClient chat = stack.client(false, true);
                    KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                            stack.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
                // The file's limit: two of three at one event time.
                for (String id : List.of("a-1", "a-2", "a-3")) {
                    producer.send(request(id, T)).get();
                }
                assertThat(outcomes(chat, List.of("a-1", "a-2", "a-3"))).containsExactly("answered", "answered",
                        "RATE_LIMITED");
                assertThat(chat.await("a-3", WAIT).rejection().path("detail").asText()).contains("(burst 2)");

                StringWriter out = new StringWriter();
                int code = SluiceCli.commandLine().setOut(new PrintWriter(out)).execute("limits", "--tenant",
                        TestCorpus.ACME, "--limits", "{\"rateLimit\": {\"requestsPerMinute\": 1, \"burst\": 5}}",
                        "--effective-at", Instant.ofEpochMilli(T + 10_000).toString(), "--update-version", "1",
                        "--bootstrap-servers", stack.bootstrapServers());
                assertThat(code).as("exit code; printed:%n%s", out).isZero();
                assertThat(out.toString()).contains("published limits of tenant acme, version 1");

                // The job has the update once a refusal at its time names the new burst (the bucket
                // holds a sixth of a request then, so probes are refused and take nothing).
                String detail = "";
                for (int probe = 0; !detail.contains("(burst 5)"); probe++) {
                    assertThat(probe).as("probes before the update showed; last: %s", detail).isLessThan(200);
                    producer.send(request("p-" + probe, T + 10_000)).get();
                    detail = chat.await("p-" + probe, WAIT).rejection().path("detail").asText();
                }
                // Ten minutes on, the bucket is full: five, the new burst, not the file's two.
                List<String> later = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    later.add("b-" + i);
                    producer.send(request("b-" + i, T + 610_000)).get();
                }
                assertThat(outcomes(chat, later)).containsExactly("answered", "answered", "answered", "answered",
                        "answered", "RATE_LIMITED", "RATE_LIMITED", "RATE_LIMITED");
            } finally {
                job.cancel().get();
            }
        }
    }

    @Test
    void publishesThroughASecuredListenerWithTheKafkaPropertiesFile() throws Exception {
        EmbeddedKafka.PlainLogin login = new EmbeddedKafka.PlainLogin("sluice-operator", "s3cret-for-tests");
        try (EmbeddedKafka kafka = EmbeddedKafka.startWithSaslPlain(work.resolve("kafka"), login)) {
            String topic = ServingOptions.TENANT_LIMITS_TOPIC.defaultValue();
            kafka.createTopics(List.of(topic), 1);
            Path properties = Files.writeString(work.resolve("client.properties"), "security.protocol=SASL_PLAINTEXT\n"
                    + "sasl.mechanism=PLAIN\nsasl.jaas.config=" + login.jaasConfig() + "\n");
            StringWriter out = new StringWriter();
            int code = SluiceCli.commandLine().setOut(new PrintWriter(out)).execute("limits", "--tenant",
                    TestCorpus.ACME, "--limits", "{}", "--update-version", "7", "--bootstrap-servers",
                    kafka.saslBootstrapServers(), "--kafka-properties", properties.toString());
            assertThat(code).as("exit code; printed:%n%s", out).isZero();

            // Read back through the plaintext listener.
            TopicPartition partition = new TopicPartition(topic, 0);
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                    kafka.bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                List<ConsumerRecord<String, String>> read = new ArrayList<>();
                Await.until("the update on " + topic, WAIT, () -> {
                    consumer.poll(Duration.ofMillis(200)).forEach(read::add);
                    return !read.isEmpty();
                });
                assertThat(read).singleElement().satisfies(r -> {
                    assertThat(r.key()).isEqualTo(TestCorpus.ACME);
                    assertThat(r.value()).contains("\"version\":7");
                });
            }
            assertThat(kafka.saslAuthentications(false)).as("connections the SASL listener refused").isZero();
        }
    }

    @Test
    void aKafkaPropertyTheCommandDecidesIsAUsageError() throws Exception {
        Path properties = Files.writeString(work.resolve("client.properties"), "linger.ms=5\nacks=1\n");
        StringWriter err = new StringWriter();
        int code = SluiceCli.commandLine().setErr(new PrintWriter(err)).execute("limits", "--tenant", "acme",
                "--limits", "{}", "--kafka-properties", properties.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("--kafka-properties: acks cannot be set: an update is published only "
                + "once every in-sync replica has it (acks=all)");
    }

    /** Each request's outcome, in order: answered, or its rejection's reason. */
    private static List<String> outcomes(ChatClient chat, List<String> ids) throws Exception {
        List<String> outcomes = new ArrayList<>();
        for (String id : ids) {
            ChatClient.Reply reply = chat.await(id, WAIT);
            outcomes.add(reply.rejected() ? reply.rejection().path("reason").asText() : "answered");
        }
        return outcomes;
    }
}
