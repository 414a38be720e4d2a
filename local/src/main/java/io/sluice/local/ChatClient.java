package io.sluice.local;

import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Talks to a serving job over Kafka the way a product team would: sends requests to
 * {@code chat.requests} keyed by conversationId, and reads {@code chat.responses} and
 * {@code chat.rejected}. Every record read is kept (repeats too), indexed by requestId, unless a
 * listener takes the answers ({@link #onAnswer}).
 */
public final class ChatClient implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final KafkaProducer<String, String> producer;
    private final String requestsTopic;
    private final Map<String, List<JsonNode>> responses = new ConcurrentHashMap<>();
    private final Map<String, List<JsonNode>> pieces = new ConcurrentHashMap<>();
    private volatile java.util.function.Consumer<JsonNode> pieceListener = piece -> {};
    /** Takes answer records instead of {@link #responses} when set. */
    private volatile java.util.function.Consumer<JsonNode> answerListener;
    private final Map<String, List<JsonNode>> rejections = new ConcurrentHashMap<>();
    private final List<JsonNode> anonymousRejections = new CopyOnWriteArrayList<>();
    /** When the first record (piece or answer) of each request arrived ({@link System#nanoTime()}). */
    private final Map<String, Long> firstArrival = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;
    private final Object arrived = new Object();

    /** A reply to one request: a response or a rejection. */
    public record Reply(JsonNode response, JsonNode rejection) {
        public boolean rejected() {
            return rejection != null;
        }
    }

    /**
     * @param readCommitted read only committed transactions (exactly-once delivery mode)
     * @param fromBeginning read the topics from the start instead of from now on
     */
    public ChatClient(String bootstrapServers, String requestsTopic, String responsesTopic,
            String rejectedTopic, boolean readCommitted, boolean fromBeginning) {
        this.requestsTopic = requestsTopic;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new StringSerializer());
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false),
                new StringDeserializer(), new StringDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(responsesTopic, rejectedTopic)) {
            consumer.partitionsFor(topic, Duration.ofSeconds(30))
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        if (fromBeginning) {
            consumer.seekToBeginning(partitions);
        } else {
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        }
        this.reader = new Thread(() -> readLoop(consumer, responsesTopic), "sluice-chat-client");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    private void readLoop(KafkaConsumer<String, String> consumer, String responsesTopic) {
        try (consumer) {
            while (running) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(50))) {
                    JsonNode node = ResponseJson.parse(r.value());
                    String id = node.path("requestId").asText(null);
                    if (r.topic().equals(responsesTopic)) {
                        firstArrival.putIfAbsent(id, System.nanoTime());
                        if (ResponseJson.TYPE_PIECE.equals(node.path("type").asText())) {
                            pieces.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(node);
                            pieceListener.accept(node);
                        } else if (answerListener != null) {
                            answerListener.accept(node);
                        } else {
                            responses.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(node);
                        }
                    } else if (id != null) {
                        rejections.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(node);
                    } else {
                        anonymousRejections.add(node);
                    }
                }
                synchronized (arrived) {
                    arrived.notifyAll();
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends a well-formed request. */
    public void send(String requestId, String tenantId, String conversationId, String message) {
        send(requestId, tenantId, conversationId, message, null);
    }

    /** Sends a well-formed request to be answered by {@code answerModel} (null: the default). */
    public void send(String requestId, String tenantId, String conversationId, String message, String answerModel) {
        ObjectNode request = requestJson(requestId, tenantId, conversationId, message);
        if (answerModel != null) {
            request.put("answerModel", answerModel);
        }
        sendRaw(conversationId, request.toString());
    }

    /**
     * Hands every answer record to {@code listener} on the reader thread as it arrives, instead of
     * keeping it for {@link #responses}: a load generator that reads a few numbers from each answer
     * need not hold thousands of parsed records, which in a benchmark's JVM outlive young
     * collections beside the job's own objects and lengthen every pause. Arrival times are kept
     * as before ({@link #firstArrivalNanos}); {@code null} keeps answers again.
     */
    public void onAnswer(java.util.function.Consumer<JsonNode> listener) {
        this.answerListener = listener;
    }

    /** Called from the reader thread with every streamed piece as it arrives. */
    public void onPiece(java.util.function.Consumer<JsonNode> listener) {
        this.pieceListener = listener;
    }

    /** Sends any payload, well-formed or not, and waits until the broker has it. */
    public void sendRaw(String key, String payload) {
        sendRaw(key, payload, java.util.Map.of());
    }

    /** Sends {@code payload} as it is, with Kafka {@code headers} (a traceparent, say). */
    public void sendRaw(String key, String payload, java.util.Map<String, String> headers) {
        try {
            ProducerRecord<String, String> record = new ProducerRecord<>(requestsTopic, key, payload);
            headers.forEach((name, value) -> record.headers().add(name,
                    value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            producer.send(record).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Could not send to " + requestsTopic + ": " + e.getMessage(), e);
        }
    }

    /** Sends a well-formed request without waiting for the broker (load generation). */
    public void submit(String requestId, String tenantId, String conversationId, String message) {
        submit(requestId, tenantId, conversationId, message, null);
    }

    /** As {@link #submit(String, String, String, String)}, answered by {@code answerModel} (null: the default). */
    public void submit(String requestId, String tenantId, String conversationId, String message, String answerModel) {
        ObjectNode request = requestJson(requestId, tenantId, conversationId, message);
        if (answerModel != null) {
            request.put("answerModel", answerModel);
        }
        producer.send(new ProducerRecord<>(requestsTopic, conversationId, request.toString()));
    }

    private static ObjectNode requestJson(String requestId, String tenantId, String conversationId, String message) {
        ObjectNode req = MAPPER.createObjectNode()
                .put("requestId", requestId)
                .put("tenantId", tenantId)
                .put("conversationId", conversationId)
                .put("message", message);
        return req;
    }

    /** When the first response to {@code requestId} arrived, in {@link System#nanoTime()} terms. */
    public Optional<Long> firstArrivalNanos(String requestId) {
        return Optional.ofNullable(firstArrival.get(requestId));
    }

    /** Waits for the first response or rejection of {@code requestId}. */
    public Reply await(String requestId, Duration timeout) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrived) {
            while (true) {
                Optional<Reply> reply = reply(requestId);
                if (reply.isPresent()) {
                    return reply.get();
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException("No reply to request " + requestId + " within " + timeout);
                }
                TimeUnit.NANOSECONDS.timedWait(arrived, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
        }
    }

    /** Waits until {@code condition} holds or the timeout passes; returns whether it held. */
    public boolean awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (arrived) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(arrived, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
            return true;
        }
    }

    private Optional<Reply> reply(String requestId) {
        List<JsonNode> r = responses.get(requestId);
        if (r != null && !r.isEmpty()) {
            return Optional.of(new Reply(r.get(0), null));
        }
        List<JsonNode> j = rejections.get(requestId);
        if (j != null && !j.isEmpty()) {
            return Optional.of(new Reply(null, j.get(0)));
        }
        return Optional.empty();
    }

    /** Every streamed piece read for {@code requestId}, repeats included, in arrival order. */
    public List<JsonNode> pieces(String requestId) {
        return List.copyOf(pieces.getOrDefault(requestId, List.of()));
    }

    /** Every answer record read for {@code requestId}, repeats included. */
    public List<JsonNode> responses(String requestId) {
        return List.copyOf(responses.getOrDefault(requestId, List.of()));
    }

    public List<JsonNode> rejections(String requestId) {
        return List.copyOf(rejections.getOrDefault(requestId, List.of()));
    }

    /** Rejections whose payload had no readable requestId. */
    public List<JsonNode> anonymousRejections() {
        return List.copyOf(anonymousRejections);
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        reader.join(5000);
        producer.close(Duration.ofSeconds(5));
    }
}
