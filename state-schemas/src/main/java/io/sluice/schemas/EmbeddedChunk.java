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
            Fields.writeFloats(out, v.vector);
            out.writeBoolean(v.reused);
        }

        @Override
        public EmbeddedChunk read(int version, DataInputView in) throws IOException {
            Chunk chunk = Chunk.read(in);
            return new EmbeddedChunk(chunk, Fields.readString(in), Fields.readFloats(in), in.readBoolean());
        }
    }
}
