package io.sluice.schemas.serde;

import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** How a build judges state written by an older or newer version of a codec. */
class RecordSerializerSnapshotTest {

    /** Version 2 of a record that gained a field; version 1 bytes hold only the name. */
    public record Person(String name, int age) {}

    public static final class PersonCodec implements RecordCodec<Person> {
        @Override
        public int version() {
            return 2;
        }

        @Override
        public Class<Person> typeClass() {
            return Person.class;
        }

        @Override
        public void write(Person p, DataOutputView out) throws IOException {
            Fields.writeString(out, p.name());
            out.writeInt(p.age());
        }

        @Override
        public Person read(int version, DataInputView in) throws IOException {
            String name = Fields.readString(in);
            return new Person(name, version >= 2 ? in.readInt() : -1);
        }
    }

    @Test
    void olderStateMigratesNewerStateIsRefused() {
        RecordSerializerSnapshot<Person> current = new RecordSerializerSnapshot<>(new PersonCodec(), 2);
        assertThat(current.resolveSchemaCompatibility(new RecordSerializerSnapshot<>(new PersonCodec(), 2))
                .isCompatibleAsIs()).isTrue();
        assertThat(current.resolveSchemaCompatibility(new RecordSerializerSnapshot<>(new PersonCodec(), 1))
                .isCompatibleAfterMigration()).isTrue();
        assertThat(current.resolveSchemaCompatibility(new RecordSerializerSnapshot<>(new PersonCodec(), 3))
                .isIncompatible()).isTrue();
    }

    @Test
    void theRestoredSerializerReadsTheOldLayout() throws IOException {
        DataOutputSerializer v1Bytes = new DataOutputSerializer(16);
        Fields.writeString(v1Bytes, "ada"); // what version 1 wrote
        var old = new RecordSerializerSnapshot<>(new PersonCodec(), 1).restoreSerializer();
        assertThat(old.deserialize(new DataInputDeserializer(v1Bytes.getCopyOfBuffer()))).isEqualTo(new Person("ada", -1));
    }
}
