package io.sluice.jobs.backfill;

import io.sluice.schemas.Document;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;

/** Where the backfill and live ingestion read documents: files, or a Kafka topic of upserts and deletes. */
final class DocumentSources {

    private DocumentSources() {}

    /**
     * The documents {@code settings} name, from the start of the input.
     *
     * @param follow null: read what there is now and end (a backfill, which fails on a file that is
     *     not documents); else keep following, scanning the directory at this interval (live
     *     ingestion, which skips what is not a document with a warning)
     * @param consumerGroup the Kafka consumer group (offsets are never committed: the job's own
     *     checkpoints hold its position)
     */
    static DataStream<Document> of(StreamExecutionEnvironment env, Backfill.Settings settings, Duration follow,
            String consumerGroup) {
        if (settings.kafka() != null) {
            KafkaSourceBuilder<Document> source = KafkaSource.<Document>builder()
                    .setBootstrapServers(settings.kafka().bootstrapServers())
                    .setTopics(settings.kafka().topic())
                    .setGroupId(consumerGroup)
                    .setProperty("commit.offsets.on.checkpoint", "false")
                    .setStartingOffsets(OffsetsInitializer.earliest())
                    .setDeserializer(new DocumentDeserializer(settings.defaultTenant()));
            settings.kafka().properties().forEach(source::setProperty);
            if (follow == null) {
                source.setBounded(OffsetsInitializer.latest());
            }
            return env.fromSource(source.build(), WatermarkStrategy.noWatermarks(),
                    "documents (" + settings.kafka().topic() + ")").uid("documents");
        }
        org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(settings.docs().toAbsolutePath().toUri());
        var files = FileSource.forBulkFileFormat(new DocumentFormat(root, settings.defaultTenant(), follow != null), root);
        if (follow != null) {
            files.monitorContinuously(follow);
        }
        return env.fromSource(files.build(), WatermarkStrategy.noWatermarks(), "documents").uid("documents");
    }
}
