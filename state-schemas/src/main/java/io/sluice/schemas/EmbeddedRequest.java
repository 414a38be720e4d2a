package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A validated request with the embedding of its question, from the {@code embed} stage.
 * {@code embedMicros} is the duration of the model call that embedded it together with its batch;
 * the wait for the batch to fill is the stage's {@code queueMicros} metric. {@code questionTokens}
 * is the question's token count by the embedding model's tokenizer, from the tokenization that fed
 * the model, so that the context budget need not tokenise the question again; 0 when not known (a
 * vector from the cache, a tokenizer whose counts do not add up).
 */
public record EmbeddedRequest(ChatRequest request, String embeddingModel, float[] vector, long embedMicros,
        int questionTokens) {

    public static final TypeInformation<EmbeddedRequest> TYPE = new RecordTypeInfo<>(new Codec());

    /** A request whose question's token count is not known. */
    public EmbeddedRequest(ChatRequest request, String embeddingModel, float[] vector, long embedMicros) {
        this(request, embeddingModel, vector, embedMicros, 0);
    }

    /**
     * Versions up to 8 hold a request of that layout: 8 with its trace context, 7 with its priority and
     * budget left, 6 with its API key id, 5 with its redaction counts, 4 with its client history, 3
     * with its reply partition, 2 with its answer model, 1 without either. Version 9 holds a request
     * of layout 8 and the question's token count.
     */
    public static final class Codec implements RecordCodec<EmbeddedRequest> {
        @Override
        public int version() {
            return 9;
        }

        @Override
        public Class<EmbeddedRequest> typeClass() {
            return EmbeddedRequest.class;
        }

        @Override
        public void write(EmbeddedRequest v, DataOutputView out) throws IOException {
            ChatRequest.Codec.writeFields(v.request, out);
            Fields.writeString(out, v.embeddingModel);
            Fields.writeFloats(out, v.vector);
            out.writeLong(v.embedMicros);
            out.writeInt(v.questionTokens);
        }

        @Override
        public EmbeddedRequest read(int version, DataInputView in) throws IOException {
            return new EmbeddedRequest(ChatRequest.Codec.readFields(in, Math.min(version, 8)), Fields.readString(in),
                    Fields.readFloats(in), in.readLong(), version >= 9 ? in.readInt() : 0);
        }
    }
}
