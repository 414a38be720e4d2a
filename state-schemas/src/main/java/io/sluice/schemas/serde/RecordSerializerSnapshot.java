package io.sluice.schemas.serde;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.util.InstantiationUtil;

import java.io.IOException;

/**
 * Records which codec wrote a piece of state and at which codec version, so that a newer build can
 * read it back and migrate it.
 */
public final class RecordSerializerSnapshot<T> implements TypeSerializerSnapshot<T> {

    private static final int SNAPSHOT_VERSION = 1;

    private RecordCodec<T> codec;
    private int codecVersion;

    /** For Flink, which instantiates snapshots reflectively before {@link #readSnapshot}. */
    public RecordSerializerSnapshot() {}

    RecordSerializerSnapshot(RecordCodec<T> codec, int codecVersion) {
        this.codec = codec;
        this.codecVersion = codecVersion;
    }

    @Override
    public int getCurrentVersion() {
        return SNAPSHOT_VERSION;
    }

    @Override
    public void writeSnapshot(DataOutputView out) throws IOException {
        out.writeUTF(codec.getClass().getName());
        out.writeInt(codecVersion);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader)
            throws IOException {
        String codecClass = in.readUTF();
        codecVersion = in.readInt();
        try {
            Class<?> type = Class.forName(codecClass, true, classLoader);
            codec = (RecordCodec<T>) InstantiationUtil.instantiate(type);
        } catch (ClassNotFoundException e) {
            throw new IOException("State was written by codec " + codecClass
                    + ", which is not on the classpath of this build", e);
        }
    }

    @Override
    public TypeSerializer<T> restoreSerializer() {
        return new RecordSerializer<>(codec, codecVersion);
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
            TypeSerializerSnapshot<T> oldSnapshot) {
        if (!(oldSnapshot instanceof RecordSerializerSnapshot<T> old)
                || old.codec.getClass() != codec.getClass()) {
            return TypeSerializerSchemaCompatibility.incompatible();
        }
        if (old.codecVersion == codecVersion) {
            return TypeSerializerSchemaCompatibility.compatibleAsIs();
        }
        if (old.codecVersion < codecVersion) {
            return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        }
        // A savepoint from a newer build: this build cannot know the layout.
        return TypeSerializerSchemaCompatibility.incompatible();
    }
}
