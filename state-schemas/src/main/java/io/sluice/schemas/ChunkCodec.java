package io.sluice.schemas;

import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/** Version 1 codec of {@link Chunk} as it flows from chunking to embedding in the backfill. */
public final class ChunkCodec implements RecordCodec<Chunk> {

    public static final TypeInformation<Chunk> TYPE = new RecordTypeInfo<>(new ChunkCodec());

    @Override
    public int version() {
        return 1;
    }

    @Override
    public Class<Chunk> typeClass() {
        return Chunk.class;
    }

    @Override
    public void write(Chunk value, DataOutputView out) throws IOException {
        Chunk.write(value, out);
    }

    @Override
    public Chunk read(int version, DataInputView in) throws IOException {
        return Chunk.read(in);
    }
}
