package io.sluice.local.fuzz;

import io.sluice.local.fuzz.FuzzRequests.FuzzCase;
import io.sluice.local.fuzz.FuzzRequests.TurnKey;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Sends fuzz cases to {@code chat.requests} as raw bytes, then reads {@code chat.responses} and
 * {@code chat.rejected} until every case has an outcome or the time is up. Rejections are matched
 * to cases by the position they carry, answers by the turn they name.
 */
public final class FuzzRun {

    /** A case as sent: where it landed. */
    public record Sent(FuzzCase fuzzCase, int partition, long offset) {
        public String position() {
            return partition + ":" + offset;
        }
    }

    /** A rejection as read from {@code chat.rejected}. */
    public record Rejected(String position, String stage, String reason, String requestId) {}

    /** What a run sent and read. {@code complete}: every case had its outcome before the time was up. */
    public record Result(List<Sent> sent, Map<TurnKey, Integer> answers, List<Rejected> rejections,
            Duration elapsed, boolean complete) {}

    private FuzzRun() {}

    public static Result run(String bootstrapServers, String requestsTopic, String responsesTopic,
            String rejectedTopic, List<FuzzCase> cases, Duration timeout, Consumer<String> progress) throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(responsesTopic, rejectedTopic)) {
                consumer.partitionsFor(topic, Duration.ofSeconds(30))
                        .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // fix the start before anything is sent

            long started = System.nanoTime();
            List<Sent> sent = send(bootstrapServers, requestsTopic, cases);
            progress.accept("sent " + sent.size() + " records in " + (System.nanoTime() - started) / 1_000_000 + " ms");

            Outcomes outcomes = new Outcomes(sent);
            long deadline = started + timeout.toNanos();
            long lastReport = System.nanoTime();
            while (!outcomes.complete() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    JsonNode node = ResponseJson.parse(new String(r.value(), StandardCharsets.UTF_8));
                    if (r.topic().equals(responsesTopic)) {
                        if (ResponseJson.TYPE_ANSWER.equals(node.path("type").asText())) {
                            outcomes.answered(TurnKey.of(node.path("tenantId").asText(),
                                    node.path("conversationId").asText(), node.path("requestId").asText()));
                        }
                    } else {
                        outcomes.rejected(new Rejected(node.path("partition").asInt() + ":" + node.path("offset").asLong(),
                                node.path("stage").asText(), node.path("reason").asText(),
                                node.path("requestId").asText(null)));
                    }
                }
                if (System.nanoTime() - lastReport > 5_000_000_000L) {
                    lastReport = System.nanoTime();
                    progress.accept("outcomes of " + outcomes.done() + " / " + sent.size() + " records");
                }
            }
            return new Result(sent, Map.copyOf(outcomes.answers), List.copyOf(outcomes.rejections),
                    Duration.ofNanos(System.nanoTime() - started), outcomes.complete());
        }
    }

    private static List<Sent> send(String bootstrapServers, String topic, List<FuzzCase> cases) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 << 20),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> futures = new ArrayList<>(cases.size());
            for (FuzzCase c : cases) {
                futures.add(producer.send(new ProducerRecord<>(topic, c.key().getBytes(StandardCharsets.UTF_8),
                        c.payload())));
            }
            List<Sent> sent = new ArrayList<>(cases.size());
            for (int i = 0; i < cases.size(); i++) {
                RecordMetadata m = futures.get(i).get();
                sent.add(new Sent(cases.get(i), m.partition(), m.offset()));
            }
            return sent;
        }
    }

    /** The outcomes read so far, and whether every sent case has one. */
    private static final class Outcomes {
        final Map<String, Sent> byPosition = new HashMap<>();
        final Map<TurnKey, Integer> sendsByKey = new HashMap<>();
        final Map<TurnKey, Integer> answers = new HashMap<>();
        final Map<TurnKey, Integer> rejectedByKey = new HashMap<>();
        final Map<String, Integer> rejectedAt = new HashMap<>();
        final List<Rejected> rejections = new ArrayList<>();
        int keylessPending;

        Outcomes(List<Sent> sent) {
            for (Sent s : sent) {
                byPosition.put(s.position(), s);
                TurnKey key = s.fuzzCase().turn();
                if (key == null) {
                    keylessPending++;
                } else {
                    sendsByKey.merge(key, 1, Integer::sum);
                }
            }
        }

        void answered(TurnKey key) {
            answers.merge(key, 1, Integer::sum);
        }

        void rejected(Rejected r) {
            rejections.add(r);
            if (rejectedAt.merge(r.position(), 1, Integer::sum) > 1) {
                return; // a second rejection of one record: the report finds it
            }
            Sent s = byPosition.get(r.position());
            if (s == null) {
                return;
            }
            if (s.fuzzCase().turn() == null) {
                keylessPending--;
            } else {
                rejectedByKey.merge(s.fuzzCase().turn(), 1, Integer::sum);
            }
        }

        int done() {
            int done = byPosition.size() - keylessPending;
            for (var e : sendsByKey.entrySet()) {
                int outcomes = answers.getOrDefault(e.getKey(), 0) + rejectedByKey.getOrDefault(e.getKey(), 0);
                done -= Math.max(0, e.getValue() - outcomes);
            }
            return done;
        }

        boolean complete() {
            return done() >= byPosition.size();
        }
    }
}
