package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * How a generative turn used the response cache: the key it looked up (a hash of everything the
 * answer depends on) and whether the answer came from there ({@code hit}) or from the model.
 */
public record CacheUse(String key, boolean hit) {

    static void write(CacheUse v, DataOutputView out) throws IOException {
        out.writeBoolean(v != null);
        if (v != null) {
            Fields.writeString(out, v.key);
            out.writeBoolean(v.hit);
        }
    }

    static CacheUse read(DataInputView in) throws IOException {
        return in.readBoolean() ? new CacheUse(Fields.readString(in), in.readBoolean()) : null;
    }
}
