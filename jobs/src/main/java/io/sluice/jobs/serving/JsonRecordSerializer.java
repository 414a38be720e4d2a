package io.sluice.jobs.serving;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Writes a record as UTF-8 JSON, keyed by a field of the record, to one topic, or, for a record
 * whose request named a reply partition, to that partition of the replies topic: a gateway
 * instance reads only its own partition and still gets every answer to its requests.
 */
public final class JsonRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    /** Serializable function, as Flink ships the schema with the job. */
    public interface Field<T> extends Function<T, String>, java.io.Serializable {}

    /** The reply partition of a record, or -1; serializable. */
    public interface ReplyPartition<T> extends ToIntFunction<T>, java.io.Serializable {}

    private final String topic;
    private final String repliesTopic;
    private final Field<T> key;
    private final Field<T> json;
    private final ReplyPartition<T> replyPartition;

    /** Every record to {@code topic}. */
    public JsonRecordSerializer(String topic, Field<T> key, Field<T> json) {
        this(topic, null, key, json, r -> -1);
    }

    public JsonRecordSerializer(String topic, String repliesTopic, Field<T> key, Field<T> json,
            ReplyPartition<T> replyPartition) {
        this.topic = topic;
        this.repliesTopic = repliesTopic;
        this.key = key;
        this.json = json;
        this.replyPartition = replyPartition;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        String k = key.apply(element);
        byte[] keyBytes = k == null ? null : k.getBytes(StandardCharsets.UTF_8);
        byte[] value = json.apply(element).getBytes(StandardCharsets.UTF_8);
        int partition = repliesTopic == null ? -1 : replyPartition.applyAsInt(element);
        return partition >= 0 ? new ProducerRecord<>(repliesTopic, partition, timestamp, keyBytes, value)
                : new ProducerRecord<>(topic, null, timestamp, keyBytes, value);
    }
}
