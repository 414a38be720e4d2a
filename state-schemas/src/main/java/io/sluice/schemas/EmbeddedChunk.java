package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A chunk with its embedding. {@code contentKey} hashes the embedding model and the exact model
 * input, so a later backfill can reuse the vector of unchanged content instead of re-embedding;
 * {@code reused} says whether this run did so.
 */
public record EmbeddedChunk(Chunk chunk, String contentKey, float[] vector, boolean reused) {

    public static final TypeInformation<EmbeddedChunk> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<EmbeddedChunk> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<EmbeddedChunk> typeClass() {
            return EmbeddedChunk.class;
        }

        @Override
        public void write(EmbeddedChunk v, DataOutputView out) throws IOException {
            Chunk.write(v.chunk, out);
            Fields.writeString(out, v.contentKey);
            out.writeInt(v.vector.length);
            for (float x : v.vector) {
                out.writeFloat(x);
            }
            out.writeBoolean(v.reused);
        }

        @Override
        public EmbeddedChunk read(int version, DataInputView in) throws IOException {
            Chunk chunk = Chunk.read(in);
            String key = Fields.readString(in);
            float[] vector = new float[in.readInt()];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = in.readFloat();
            }
            return new EmbeddedChunk(chunk, key, vector, in.readBoolean());
        }
    }
}
