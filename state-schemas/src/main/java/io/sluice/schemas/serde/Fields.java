package io.sluice.schemas.serde;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Field encodings shared by the codecs: nullable strings, float vectors and lists, length-prefixed. */
public final class Fields {

    private Fields() {}

    /** Writes a string of any length (writeUTF stops at 64 KiB) that may be null. */
    public static void writeString(DataOutputView out, String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    public static String readString(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }

    public static void writeFloats(DataOutputView out, float[] values) throws IOException {
        out.writeInt(values.length);
        for (float x : values) {
            out.writeFloat(x);
        }
    }

    public static float[] readFloats(DataInputView in) throws IOException {
        float[] values = new float[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readFloat();
        }
        return values;
    }

    @FunctionalInterface
    public interface Writer<T> {
        void write(T value, DataOutputView out) throws IOException;
    }

    @FunctionalInterface
    public interface Reader<T> {
        T read(DataInputView in) throws IOException;
    }

    public static <T> void writeList(DataOutputView out, List<T> values, Writer<T> writer)
            throws IOException {
        out.writeInt(values.size());
        for (T value : values) {
            writer.write(value, out);
        }
    }

    public static <T> List<T> readList(DataInputView in, Reader<T> reader) throws IOException {
        int size = in.readInt();
        List<T> values = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            values.add(reader.read(in));
        }
        return List.copyOf(values);
    }
}
