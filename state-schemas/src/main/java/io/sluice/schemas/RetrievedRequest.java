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
 * embedding model ({@code id@version}) that embedded the question, and the time spent embedding
 * and retrieving.
 */
public record RetrievedRequest(
        ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> chunks,
        long embedMicros, long retrieveMicros) {

    public RetrievedRequest {
        chunks = List.copyOf(chunks);
    }

    public static final TypeInformation<RetrievedRequest> TYPE = new RecordTypeInfo<>(new Codec());

    /**
     * Version N holds a request of layout N: 8 with its trace context, 7 with its priority and budget left, 6 with its API key id,
     * 5 with its redaction counts, 4 with its client history, 3 with its reply partition, 2 with its
     * answer model, 1 without either.
     */
    public static final class Codec implements RecordCodec<RetrievedRequest> {
        @Override
        public int version() {
            return 8;
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
        }

        @Override
        public RetrievedRequest read(int version, DataInputView in) throws IOException {
            return new RetrievedRequest(ChatRequest.Codec.readFields(in, version), Fields.readString(in),
                    Fields.readString(in), Fields.readList(in, RetrievedChunk::read), in.readLong(),
                    in.readLong());
        }
    }
}
