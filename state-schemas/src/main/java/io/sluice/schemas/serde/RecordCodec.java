package io.sluice.schemas.serde;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * The binary schema of one record type: how the current version is written and how every version
 * ever written is read back.
 *
 * <p>A codec always writes {@link #version()}. {@link #read} receives the version the data was
 * written with (taken from the serializer snapshot of a checkpoint or savepoint), so a codec that
 * adds a field bumps its version and keeps reading the old layout. Implementations are stateless
 * and need a public no-argument constructor: the serializer snapshot re-creates them by class name.
 */
public interface RecordCodec<T> extends java.io.Serializable {

    /** The version {@link #write} produces. Starts at 1 and only grows. */
    int version();

    /** The record class, for Flink's type information. */
    Class<T> typeClass();

    void write(T value, DataOutputView out) throws IOException;

    T read(int version, DataInputView in) throws IOException;
}
