package io.sluice.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What arrives on this gateway instance's partition of {@code chat.replies}: every piece, answer
 * and rejection of the requests this instance sent, and nothing else (the job writes each request's
 * records to the partition the request named). One consumer thread reads the partition from its end
 * at start and hands each record to the listener registered for its request id; the finished
 * records (answers, rejections) of the last {@code recentAnswers} requests are kept for clients that
 * come back for an answer that outlived their wait.
 */
public final class Replies implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    /** Receives the records of one request, on the consumer's thread. */
    public interface Listener {
        /** @param polledNanos when the poll that returned {@code record} returned ({@link System#nanoTime}) */
        void on(JsonNode record, long polledNanos);
    }

    private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
    private final Map<String, JsonNode> recent;
    private final Thread thread;
    private volatile boolean running = true;

    /** @param kafkaProperties the user's Kafka client properties, set after the consumer's own */
    public Replies(String bootstrapServers, Map<String, String> kafkaProperties, String topic, int partition,
            int recentAnswers) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.CLIENT_ID_CONFIG, "sluice-gateway-replies-" + partition));
        config.putAll(kafkaProperties);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        int partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
        if (partition < 0 || partition >= partitions) {
            consumer.close();
            throw new IllegalArgumentException("The reply partition " + partition + " is not one of the " + partitions
                    + " partitions of " + topic + "; give each gateway instance its own");
        }
        List<TopicPartition> mine = List.of(new TopicPartition(topic, partition));
        consumer.assign(mine);
        consumer.seekToEnd(mine);
        consumer.position(mine.get(0)); // fix the start now: what comes later is ours
        this.recent = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, JsonNode> eldest) {
                return size() > recentAnswers;
            }
        };
        this.thread = new Thread(this::run, "sluice-gateway-replies-" + partition);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Hands every record of {@code requestId} to {@code listener}, on the consumer's thread. */
    public void register(String requestId, Listener listener) {
        listeners.put(requestId, listener);
    }

    public void unregister(String requestId) {
        listeners.remove(requestId);
    }

    /** Requests with a registered listener: what the gateway waits for now. */
    public int waiting() {
        return listeners.size();
    }

    /** The finished record (answer or rejection) of {@code requestId}, if it is among the recent ones. */
    public Optional<JsonNode> recent(String requestId) {
        synchronized (recent) {
            return Optional.ofNullable(recent.get(requestId));
        }
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                long polled = System.nanoTime();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    JsonNode record;
                    try {
                        record = OpenAiWire.parse(new String(r.value(), StandardCharsets.UTF_8));
                    } catch (RuntimeException e) {
                        LOG.warn("Skipping a record on the reply partition that is not JSON (offset {})", r.offset());
                        continue;
                    }
                    String requestId = record.path("requestId").asText(null);
                    if (requestId == null) {
                        continue;
                    }
                    if (OpenAiWire.isAnswer(record) || OpenAiWire.isRejection(record)) {
                        synchronized (recent) {
                            recent.put(requestId, record);
                        }
                    }
                    Listener listener = listeners.get(requestId);
                    if (listener != null) {
                        listener.on(record, polled);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
