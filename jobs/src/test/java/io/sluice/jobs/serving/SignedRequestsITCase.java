package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.LocalStack;
import io.sluice.schemas.RequestSignature;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serving job that answers signed requests only ({@code sluice.gateway.require-signature}): a
 * record signed with the shared key is answered in the partition of {@code chat.replies} it named;
 * an unsigned record, or one whose tenant or reply partition was changed after signing, is rejected
 * as {@code UNAUTHENTICATED}. Producing to {@code chat.requests} no longer lets anyone act as any tenant.
 */
class SignedRequestsITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final byte[] KEY = "a key shared by the gateway and the job".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path work;

    private static byte[] request(String id, String tenant, String extra) {
        return ("{\"requestId\":\"" + id + "\",\"tenantId\":\"" + tenant + "\",\"conversationId\":\"conv-" + id
                + "\",\"message\":\"How many days do I have to request a refund?\"" + extra + "}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static ProducerRecord<byte[], byte[]> record(byte[] payload, int replyPartition, String signature) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(LocalStack.REQUESTS_TOPIC, null, payload);
        if (replyPartition >= 0) {
            r.headers().add(RequestSignature.REPLY_PARTITION_HEADER,
                    Integer.toString(replyPartition).getBytes(StandardCharsets.US_ASCII));
        }
        if (signature != null) {
            r.headers().add(RequestSignature.HEADER, signature.getBytes(StandardCharsets.US_ASCII));
        }
        return r;
    }

    /** Every record read from {@code partitions} until {@code ids} each have one, as (topic:partition, JSON). */
    private static List<String[]> readUntil(String servers, List<TopicPartition> partitions, List<String> ids) {
        List<String[]> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", servers),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline && !ids.stream().allMatch(id -> read.stream().anyMatch(
                    r -> ResponseJson.parse(r[1]).path("requestId").asText().equals(id)))) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(new String[] {
                    r.topic() + ":" + r.partition(), r.value()}));
            }
        }
        return read;
    }

    /** The one record (not a streamed piece) of {@code id}, which went to {@code where} (topic:partition, or a topic). */
    private static JsonNode only(List<String[]> read, String id, String where) {
        List<String[]> of = read.stream().filter(r -> ResponseJson.parse(r[1]).path("requestId").asText().equals(id))
                .filter(r -> !ResponseJson.TYPE_PIECE.equals(ResponseJson.parse(r[1]).path("type").asText())).toList();
        assertThat(of).as("records of %s", id).hasSize(1);
        assertThat(of.get(0)[0]).as("where %s went", id).startsWith(where);
        return ResponseJson.parse(of.get(0)[1]);
    }

    @Test
    void signedRequestsAreAnsweredOnTheirReplyPartitionAndOthersAreUnauthenticated() throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2)) {
            TestCorpus.backfill(work);
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME, TestCorpus.GLOBEX));
            conf.set(ServingOptions.GATEWAY_REQUIRE_SIGNATURE, true);
            conf.set(ServingOptions.GATEWAY_SIGNING_KEY_FILE,
                    Files.write(work.resolve("signing-key"), KEY).toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(500);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("signed-requests-itcase");
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                    "bootstrap.servers", stack.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                byte[] good = request("s-1", TestCorpus.ACME, "");
                byte[] other = request("s-2", TestCorpus.ACME, "");
                byte[] invalid = request("s-3", TestCorpus.ACME, ",\"parameters\":{\"topK\":999}");
                byte[] forged = request("s-4", TestCorpus.GLOBEX, "");
                byte[] unsigned = request("s-5", TestCorpus.GLOBEX, "");
                producer.send(record(good, 1, RequestSignature.sign(KEY, 1, good))).get();
                producer.send(record(other, 0, RequestSignature.sign(KEY, 0, other))).get();
                producer.send(record(invalid, 1, RequestSignature.sign(KEY, 1, invalid))).get();
                // acme's signature on a payload that now says globex.
                producer.send(record(forged, 1, RequestSignature.sign(KEY, 1, request("s-4", TestCorpus.ACME, ""))))
                        .get();
                producer.send(record(unsigned, -1, null)).get();

                List<TopicPartition> all = List.of(new TopicPartition(LocalStack.REPLIES_TOPIC, 0),
                        new TopicPartition(LocalStack.REPLIES_TOPIC, 1), new TopicPartition(LocalStack.RESPONSES_TOPIC, 0),
                        new TopicPartition(LocalStack.RESPONSES_TOPIC, 1), new TopicPartition(LocalStack.REJECTED_TOPIC, 0),
                        new TopicPartition(LocalStack.REJECTED_TOPIC, 1));
                List<String[]> read = readUntil(stack.bootstrapServers(), all, List.of("s-1", "s-2", "s-3", "s-4", "s-5"));

                JsonNode answered = only(read, "s-1", "chat.replies:1");
                assertThat(answered.path("type").asText()).isEqualTo("answer");
                assertThat(answered.path("answer").asText()).contains("thirty days");
                assertThat(only(read, "s-2", "chat.replies:0").path("type").asText()).isEqualTo("answer");
                assertThat(only(read, "s-3", "chat.replies:1").path("reason").asText()).isEqualTo("INVALID_FIELD");
                JsonNode forgedRejection = only(read, "s-4", "chat.replies:1");
                assertThat(forgedRejection.path("reason").asText()).isEqualTo("UNAUTHENTICATED");
                assertThat(forgedRejection.path("detail").asText()).contains("does not verify");
                JsonNode unsignedRejection = only(read, "s-5", "chat.rejected:");
                assertThat(unsignedRejection.path("reason").asText()).isEqualTo("UNAUTHENTICATED");
            } finally {
                job.cancel().get();
            }
        }
    }
}
