package io.sluice.local;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The client against a real broker: answers kept by request id, or handed to a listener instead. */
class ChatClientITCase {

    @TempDir
    Path work;

    @Test
    void anAnswerListenerTakesAnswersInsteadOfTheClientKeepingThem() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
            kafka.createTopics(List.of("requests", "responses", "rejected"), 1);
            try (ChatClient client = new ChatClient(kafka.bootstrapServers(), "requests", "responses", "rejected",
                    false, false);
                    KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
                            new StringSerializer(), new StringSerializer())) {
                List<JsonNode> heard = new CopyOnWriteArrayList<>();
                client.onAnswer(heard::add);
                producer.send(new ProducerRecord<>("responses", "c", "{\"type\":\"chunk\",\"requestId\":\"r1\","
                        + "\"sequence\":0,\"text\":\"Refunds\"}"));
                producer.send(new ProducerRecord<>("responses", "c", "{\"type\":\"answer\",\"requestId\":\"r1\","
                        + "\"sequence\":1,\"answer\":\"Refunds take 30 days.\"}"));
                producer.flush();
                assertThat(client.awaitCondition(() -> heard.size() == 1, Duration.ofSeconds(30))).isTrue();
                assertThat(heard.get(0).path("answer").asText()).isEqualTo("Refunds take 30 days.");
                assertThat(client.responses("r1")).isEmpty();
                assertThat(client.pieces("r1")).hasSize(1);
                assertThat(client.firstArrivalNanos("r1")).isPresent();

                client.onAnswer(null);
                producer.send(new ProducerRecord<>("responses", "c", "{\"type\":\"answer\",\"requestId\":\"r2\","
                        + "\"sequence\":0,\"answer\":\"Shipping takes two days.\"}"));
                producer.flush();
                assertThat(client.awaitCondition(() -> !client.responses("r2").isEmpty(), Duration.ofSeconds(30)))
                        .isTrue();
                assertThat(heard).hasSize(1);
            }
        }
    }
}
