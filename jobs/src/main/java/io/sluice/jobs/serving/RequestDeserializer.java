package io.sluice.jobs.serving;

import io.sluice.schemas.RequestEnvelope;
import io.sluice.schemas.TraceParent;
import io.sluice.schemas.RequestSignature;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

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
        out.collect(new RequestEnvelope(record.partition(), record.offset(), record.timestamp(), record.value(),
                replyPartition(record.headers().lastHeader(RequestSignature.REPLY_PARTITION_HEADER)),
                text(record.headers().lastHeader(RequestSignature.HEADER)),
                // Only a valid value (else null: a new trace), so no header of any size goes further.
                TraceParent.valid(text(record.headers().lastHeader(TraceParent.HEADER)))));
    }

    /** A header that is not a small non-negative number names no partition (the signature covers it). */
    static int replyPartition(Header header) {
        String value = text(header);
        if (value == null || value.isEmpty() || value.length() > 5 || !value.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(value);
    }

    private static String text(Header header) {
        return header == null || header.value() == null ? null
                : new String(header.value(), java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public TypeInformation<RequestEnvelope> getProducedType() {
        return RequestEnvelope.TYPE;
    }
}
