package io.sluice.schemas.serde;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink type information for a Sluice record: it always serializes through the record's own
 * {@link RecordCodec}, never through Kryo or Java serialization.
 */
public final class RecordTypeInfo<T> extends TypeInformation<T> {

    private static final long serialVersionUID = 1L;

    private final RecordCodec<T> codec;

    public RecordTypeInfo(RecordCodec<T> codec) {
        this.codec = codec;
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<T> getTypeClass() {
        return codec.typeClass();
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return new RecordSerializer<>(codec);
    }

    @Override
    public String toString() {
        return "RecordTypeInfo<" + codec.typeClass().getSimpleName() + " v" + codec.version() + ">";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordTypeInfo<?> other && other.codec.getClass() == codec.getClass();
    }

    @Override
    public int hashCode() {
        return codec.getClass().hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof RecordTypeInfo;
    }
}
