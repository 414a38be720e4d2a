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
 * The outcome of one turn: the request, what was retrieved, the compiled context's hash and size,
 * the answer and its citations. Both the {@code chat.responses} record and the audit row are
 * projections of it. Everything but {@code timings} is derived deterministically from the input and
 * the pinned snapshot and models.
 */
public record AnsweredTurn(
        ChatRequest request,
        String snapshotId,
        String embeddingModel,
        List<RetrievedChunk> retrieved,
        String contextHash,
        int contextTokens,
        int historyTurns,
        String modelId,
        String answer,
        List<Citation> citations,
        StageTimings timings) {

    public AnsweredTurn {
        retrieved = List.copyOf(retrieved);
        citations = List.copyOf(citations);
    }

    public static final TypeInformation<AnsweredTurn> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<AnsweredTurn> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<AnsweredTurn> typeClass() {
            return AnsweredTurn.class;
        }

        @Override
        public void write(AnsweredTurn v, DataOutputView out) throws IOException {
            ChatRequest.Codec.writeFields(v.request, out);
            Fields.writeString(out, v.snapshotId);
            Fields.writeString(out, v.embeddingModel);
            Fields.writeList(out, v.retrieved, RetrievedChunk::write);
            Fields.writeString(out, v.contextHash);
            out.writeInt(v.contextTokens);
            out.writeInt(v.historyTurns);
            Fields.writeString(out, v.modelId);
            Fields.writeString(out, v.answer);
            Fields.writeList(out, v.citations, (c, o) -> {
                o.writeInt(c.marker());
                Fields.writeString(o, c.chunkId());
                Fields.writeString(o, c.documentId());
                Fields.writeString(o, c.title());
            });
            out.writeLong(v.timings.embedMicros());
            out.writeLong(v.timings.retrieveMicros());
            out.writeLong(v.timings.compileMicros());
            out.writeLong(v.timings.answerMicros());
        }

        @Override
        public AnsweredTurn read(int version, DataInputView in) throws IOException {
            return new AnsweredTurn(ChatRequest.Codec.readFields(in), Fields.readString(in),
                    Fields.readString(in), Fields.readList(in, RetrievedChunk::read), Fields.readString(in),
                    in.readInt(), in.readInt(), Fields.readString(in), Fields.readString(in),
                    Fields.readList(in, i -> new Citation(i.readInt(), Fields.readString(i),
                            Fields.readString(i), Fields.readString(i))),
                    new StageTimings(in.readLong(), in.readLong(), in.readLong(), in.readLong()));
        }
    }
}
