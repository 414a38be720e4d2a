package io.sluice.jobs.serving;

import io.sluice.schemas.Settlement;
import io.sluice.schemas.json.SettlementJson;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * Reads {@code chat.usage} back into {@link Settlement}s for the admission stage. A record that is
 * not one (only the job writes the topic, but a stray producer could) is skipped with a warning,
 * never a restart.
 */
public final class SettlementDeserializer implements KafkaRecordDeserializationSchema<Settlement> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SettlementDeserializer.class);

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Settlement> out) {
        var settlement = record.value() == null ? java.util.Optional.<Settlement>empty()
                : SettlementJson.parse(new String(record.value(), StandardCharsets.UTF_8));
        if (settlement.isPresent()) {
            out.collect(settlement.get());
        } else {
            LOG.warn("Skipped a record of {} at {}:{} that is not a settlement", record.topic(), record.partition(),
                    record.offset());
        }
    }

    @Override
    public TypeInformation<Settlement> getProducedType() {
        return Settlement.TYPE;
    }
}
