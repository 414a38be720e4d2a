package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.List;

/**
 * A validated request with the chunks retrieved for it from the pinned index snapshot, the
 * embedding model ({@code id@version}) that embedded the question, the question's token count by
 * that model's tokenizer ({@link EmbeddedRequest#questionTokens()}; 0 when not known), and the time
 * spent embedding and retrieving.
 */
public record RetrievedRequest(
        ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> chunks,
        long embedMicros, long retrieveMicros, int questionTokens) {

    public RetrievedRequest {
        chunks = List.copyOf(chunks);
    }

    /** A request whose question's token count is not known. */
    public RetrievedRequest(ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> chunks,
            long embedMicros, long retrieveMicros) {
        this(request, snapshotId, embeddingModel, chunks, embedMicros, retrieveMicros, 0);
    }

    public static final TypeInformation<RetrievedRequest> TYPE = new RecordTypeInfo<>(new Codec());

    /**
     * Versions up to 8 hold a request of that layout: 8 with its trace context, 7 with its priority and
     * budget left, 6 with its API key id, 5 with its redaction counts, 4 with its client history, 3
     * with its reply partition, 2 with its answer model, 1 without either. Version 9 holds a request
     * of layout 8 and the question's token count.
     */
    public static final class Codec implements RecordCodec<RetrievedRequest> {
        @Override
        public int version() {
            return 9;
        }

        @Override
        public Class<RetrievedRequest> typeClass() {
            return RetrievedRequest.class;
        }

        @Override
        public void write(RetrievedRequest v, DataOutputView out) throws IOException {
            ChatRequest.Codec.writeFields(v.request, out);
            Fields.writeString(out, v.snapshotId);
            Fields.writeString(out, v.embeddingModel);
            Fields.writeList(out, v.chunks, RetrievedChunk::write);
            out.writeLong(v.embedMicros);
            out.writeLong(v.retrieveMicros);
            out.writeInt(v.questionTokens);
        }

        @Override
        public RetrievedRequest read(int version, DataInputView in) throws IOException {
            return new RetrievedRequest(ChatRequest.Codec.readFields(in, Math.min(version, 8)), Fields.readString(in),
                    Fields.readString(in), Fields.readList(in, RetrievedChunk::read), in.readLong(),
                    in.readLong(), version >= 9 ? in.readInt() : 0);
        }
    }
}
