package io.sluice.jobs.serving;

import io.sluice.schemas.RequestEnvelope;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Wraps every {@code chat.requests} record, whatever its bytes, into a {@link RequestEnvelope}:
 * decoding and parsing happen in the validate stage, where a bad payload becomes a rejection
 * instead of a deserialization failure that would restart the job (or a decoder that would repair
 * bad bytes silently).
 */
public final class RequestDeserializer implements KafkaRecordDeserializationSchema<RequestEnvelope> {

    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RequestEnvelope> out) {
        out.collect(new RequestEnvelope(record.partition(), record.offset(), record.timestamp(), record.value()));
    }

    @Override
    public TypeInformation<RequestEnvelope> getProducedType() {
        return RequestEnvelope.TYPE;
    }
}
