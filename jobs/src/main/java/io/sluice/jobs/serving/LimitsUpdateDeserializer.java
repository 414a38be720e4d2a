package io.sluice.jobs.serving;

import io.sluice.schemas.tenants.LimitsUpdate;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * Reads {@code chat.tenant-limits} into {@link LimitsUpdate}s for the admission stage. A record that
 * is not a valid update is skipped with a warning that says what is wrong with it (the tenant's
 * limits stay as they were), never a restart.
 */
public final class LimitsUpdateDeserializer implements KafkaRecordDeserializationSchema<LimitsUpdate> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(LimitsUpdateDeserializer.class);

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<LimitsUpdate> out) {
        try {
            if (record.value() == null) {
                throw new IllegalArgumentException("the record has no value");
            }
            out.collect(LimitsUpdate.parse(new String(record.value(), StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            LOG.warn("Skipped the limits update of {} at {}:{}: {}", record.topic(), record.partition(),
                    record.offset(), e.getMessage());
        }
    }

    @Override
    public TypeInformation<LimitsUpdate> getProducedType() {
        return LimitsUpdate.TYPE;
    }
}
