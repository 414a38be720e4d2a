package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A source document of the backfill. {@code updatedAt} (epoch millis) comes from the input (file
 * modification time or a JSONL field) and only feeds the snapshot manifest's created-at. A document
 * without text ({@link #deletion}) says that the document is gone: an input of upserts and deletes
 * (a Kafka topic keyed by tenant and document id) removes it from the next snapshot. One without
 * a tenant ({@link #unreadable}) stands for an input that was not a document.
 */
public record Document(String tenantId, String documentId, String title, String text, long updatedAt) {

    /** The deletion of document {@code documentId} of {@code tenantId}. */
    public static Document deletion(String tenantId, String documentId, long updatedAt) {
        return new Document(tenantId, documentId, null, null, updatedAt);
    }

    /** Whether this record deletes its document rather than giving its content. */
    public boolean deleted() {
        return text == null;
    }

    /**
     * An input that is not a document, in its place: {@code problem} names where it was and what is
     * wrong. A source that runs on past bad input (a topic, live ingestion) emits it so that the index
     * stage counts it and says so; it has no tenant, so it is never indexed.
     */
    public static Document unreadable(String problem) {
        return new Document(null, null, null, problem, 0);
    }

    /** Whether this record stands for an input that is not a document ({@link #unreadable}). */
    public boolean unreadable() {
        return tenantId == null;
    }

    public static final TypeInformation<Document> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<Document> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<Document> typeClass() {
            return Document.class;
        }

        @Override
        public void write(Document v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.tenantId);
            Fields.writeString(out, v.documentId);
            Fields.writeString(out, v.title);
            Fields.writeString(out, v.text);
            out.writeLong(v.updatedAt);
        }

        @Override
        public Document read(int version, DataInputView in) throws IOException {
            return new Document(Fields.readString(in), Fields.readString(in), Fields.readString(in),
                    Fields.readString(in), in.readLong());
        }
    }
}
