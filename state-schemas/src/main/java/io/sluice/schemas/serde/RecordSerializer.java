package io.sluice.schemas.serde;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.Objects;

/**
 * A Flink {@link TypeSerializer} for an immutable record, driven by its {@link RecordCodec}.
 *
 * <p>Records are immutable, so copies are the instance itself. {@code readVersion} is the codec
 * version of the bytes this serializer reads; it differs from the codec's current version only
 * for a serializer restored from an older snapshot, which Flink uses to migrate state.
 */
public final class RecordSerializer<T> extends TypeSerializer<T> {

    private static final long serialVersionUID = 1L;

    private final RecordCodec<T> codec;
    private final int readVersion;

    public RecordSerializer(RecordCodec<T> codec) {
        this(codec, codec.version());
    }

    RecordSerializer(RecordCodec<T> codec, int readVersion) {
        this.codec = Objects.requireNonNull(codec);
        this.readVersion = readVersion;
    }

    RecordCodec<T> codec() {
        return codec;
    }

    @Override
    public boolean isImmutableType() {
        return true;
    }

    @Override
    public TypeSerializer<T> duplicate() {
        return this;
    }

    @Override
    public T createInstance() {
        return null;
    }

    @Override
    public T copy(T from) {
        return from;
    }

    @Override
    public T copy(T from, T reuse) {
        return from;
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(T record, DataOutputView target) throws IOException {
        codec.write(record, target);
    }

    @Override
    public T deserialize(DataInputView source) throws IOException {
        return codec.read(readVersion, source);
    }

    @Override
    public T deserialize(T reuse, DataInputView source) throws IOException {
        return deserialize(source);
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
        serialize(deserialize(source), target);
    }

    @Override
    public TypeSerializerSnapshot<T> snapshotConfiguration() {
        return new RecordSerializerSnapshot<>(codec, codec.version());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordSerializer<?> other
                && other.codec.getClass() == codec.getClass()
                && other.readVersion == readVersion;
    }

    @Override
    public int hashCode() {
        return 31 * codec.getClass().hashCode() + readVersion;
    }
}
