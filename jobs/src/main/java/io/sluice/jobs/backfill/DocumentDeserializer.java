package io.sluice.jobs.backfill;

import io.sluice.schemas.Document;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads a topic of document upserts and deletes: each record's value is a document as one JSONL line
 * ({@link DocumentReader#parseLine}), or {@code "deleted": true} with its tenant and id; a record
 * without a value (a compaction tombstone) deletes the document its key names as
 * {@code tenant/id}. Producers key records by tenant and id, so one document's records stay in
 * one partition, in order. A record that is not a document becomes a {@link Document#unreadable}
 * naming its partition and offset, which the index stage logs, counts and leaves out.
 */
public final class DocumentDeserializer implements KafkaRecordDeserializationSchema<Document> {

    private static final long serialVersionUID = 1L;

    private final String defaultTenant;

    public DocumentDeserializer(String defaultTenant) {
        this.defaultTenant = defaultTenant;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Document> out) {
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        try {
            Document doc;
            if (record.value() == null) {
                doc = tombstone(record.key(), where, record.timestamp());
            } else {
                doc = DocumentReader.parseLine(new String(record.value(), StandardCharsets.UTF_8), where,
                        defaultTenant, record.timestamp());
            }
            if (doc != null) {
                out.collect(doc);
            }
        } catch (IOException e) {
            // The index stage logs and counts it; the topic's next record is read as usual.
            out.collect(Document.unreadable(e.getMessage()));
        }
    }

    private Document tombstone(byte[] key, String where, long timestamp) throws IOException {
        String k = key == null ? "" : new String(key, StandardCharsets.UTF_8);
        int slash = k.indexOf('/');
        if (slash <= 0 || slash == k.length() - 1) {
            throw new IOException(where + ": a record without a value deletes the document its key names as "
                    + "tenant/id, and its key is '" + k + "'");
        }
        return Document.deletion(k.substring(0, slash), k.substring(slash + 1), timestamp);
    }

    @Override
    public TypeInformation<Document> getProducedType() {
        return Document.TYPE;
    }
}
