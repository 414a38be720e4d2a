package io.sluice.jobs.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.local.EmbeddedKafka;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.schemas.RetrievedChunk;

import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A backfill from a Kafka topic of document upserts and deletes (a real broker): the snapshot holds
 * each document's last version, deleted documents are gone from the next snapshot, and the snapshot
 * before stays as it was.
 */
class KafkaBackfillITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension();

    @TempDir
    Path work;

    @Test
    void theSnapshotHoldsTheLastVersionOfEachDocumentAndNoneDeleted() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"))) {
            String topic = "documents";
            kafka.createTopics(List.of(topic), 3);
            try (KafkaProducer<String, String> producer = producer(kafka)) {
                send(producer, topic, "acme/refunds", "{\"id\":\"refunds\",\"tenantId\":\"acme\",\"title\":\"Refunds\","
                        + "\"text\":\"Refunds take thirty days.\"}");
                send(producer, topic, "acme/shipping", "{\"id\":\"shipping\",\"tenantId\":\"acme\",\"title\":\"Shipping\","
                        + "\"text\":\"Express shipping takes two days.\"}");
                send(producer, topic, "acme/warranty", "{\"id\":\"warranty\",\"tenantId\":\"acme\",\"title\":\"Warranty\","
                        + "\"text\":\"The warranty covers one year.\"}");
                send(producer, topic, "acme/bad", "not json at all");
                producer.flush();
            }
            Path index = work.resolve("index");
            StringWriter log = new StringWriter();
            Backfill.Result first = backfill(kafka, topic, index, log);
            assertThat(first.manifest().documents()).isEqualTo(3);
            assertThat(log.toString()).contains("backfill: skipped 1 records that are not documents");

            try (KafkaProducer<String, String> producer = producer(kafka)) {
                // An update, a delete by field and a delete by tombstone.
                send(producer, topic, "acme/refunds", "{\"id\":\"refunds\",\"tenantId\":\"acme\",\"title\":\"Refunds\","
                        + "\"text\":\"Refunds now take fourteen days.\"}");
                send(producer, topic, "acme/shipping", "{\"id\":\"shipping\",\"tenantId\":\"acme\",\"deleted\":true}");
                send(producer, topic, "acme/warranty", null);
                producer.flush();
            }
            Backfill.Result second = backfill(kafka, topic, index, new StringWriter());
            assertThat(second.snapshotId()).isNotEqualTo(first.snapshotId());
            assertThat(second.manifest().documents()).isEqualTo(1);
            IndexStore store = new IndexStore(index);
            try (HybridSearcher now = HybridSearcher.open(store, second.snapshotId());
                    HybridSearcher before = HybridSearcher.open(store, first.snapshotId())) {
                List<RetrievedChunk> hits = now.search(SearchMode.BM25, "acme", "refunds shipping warranty days", null,
                        10, 10);
                assertThat(hits).extracting(RetrievedChunk::documentId).containsExactly("refunds");
                assertThat(hits.get(0).text()).contains("fourteen");
                assertThat(before.search(SearchMode.BM25, "acme", "refunds shipping warranty days", null, 10, 10))
                        .extracting(RetrievedChunk::documentId).containsExactlyInAnyOrder("refunds", "shipping", "warranty");
            }
        }
    }

    private static KafkaProducer<String, String> producer(EmbeddedKafka kafka) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
    }

    private static void send(KafkaProducer<String, String> producer, String topic, String key, String value)
            throws Exception {
        producer.send(new ProducerRecord<>(topic, key, value)).get();
    }

    private static Backfill.Result backfill(EmbeddedKafka kafka, String topic, Path index, StringWriter log)
            throws Exception {
        return new Backfill(new Backfill.Settings(null, index, "default", new ChunkerSettings(64, 8),
                EmbeddingModels.BUNDLED_MINILM_QUANTIZED, 8, RuntimeOptions.cpu(1), 2).withShards(2)
                .withKafka(new Backfill.KafkaInput(kafka.bootstrapServers(), topic, java.util.Map.of())), new PrintWriter(log, true)).run();
    }
}
