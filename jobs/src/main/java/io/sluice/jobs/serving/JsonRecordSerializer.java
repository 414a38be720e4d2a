package io.sluice.jobs.serving;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/** Writes a record as UTF-8 JSON to one topic, keyed by a field of the record. */
public final class JsonRecordSerializer<T> implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    /** Serializable function, as Flink ships the schema with the job. */
    public interface Field<T> extends Function<T, String>, java.io.Serializable {}

    private final String topic;
    private final Field<T> key;
    private final Field<T> json;

    public JsonRecordSerializer(String topic, Field<T> key, Field<T> json) {
        this.topic = topic;
        this.key = key;
        this.json = json;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        String k = key.apply(element);
        return new ProducerRecord<>(topic, null, timestamp,
                k == null ? null : k.getBytes(StandardCharsets.UTF_8),
                json.apply(element).getBytes(StandardCharsets.UTF_8));
    }
}
