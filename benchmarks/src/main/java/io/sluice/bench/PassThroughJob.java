package io.sluice.bench;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The baseline of the serving benchmark: a Flink job that copies every record of one Kafka topic to
 * another and does nothing else. It reads and writes as the serving job does (committed offsets of
 * its group, at-least-once with {@code linger.ms=0}, as responses in low-latency delivery) and runs
 * with the serving job's Flink settings (checkpoints, buffer timeout), so what the serving job takes
 * beyond it is the cost of Sluice's stages, not of Kafka or Flink.
 */
final class PassThroughJob {

    static final String IN_TOPIC = "bench.passthrough.in";
    static final String OUT_TOPIC = "bench.passthrough.out";
    /** Never written; the chat client reads a rejections topic besides its responses. */
    static final String UNUSED_TOPIC = "bench.passthrough.unused";

    private PassThroughJob() {}

    static void build(StreamExecutionEnvironment env, String bootstrapServers) {
        KafkaSource<String> source = KafkaSource.<String>builder()
                .setBootstrapServers(bootstrapServers)
                .setTopics(IN_TOPIC)
                .setGroupId("sluice-bench-passthrough")
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setValueOnlyDeserializer(new SimpleStringSchema())
                .build();
        KafkaSink<String> sink = KafkaSink.<String>builder()
                .setBootstrapServers(bootstrapServers)
                .setRecordSerializer(KafkaRecordSerializationSchema.<String>builder()
                        .setTopic(OUT_TOPIC).setValueSerializationSchema(new SimpleStringSchema()).build())
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setProperty("linger.ms", "0")
                .build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "passthrough-in").uid("passthrough-in")
                .sinkTo(sink).uid("passthrough-out").name("passthrough-out");
    }
}
