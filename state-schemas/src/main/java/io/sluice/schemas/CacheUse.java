package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * How a generative turn used the response cache: the key it looked up (a hash of everything the
 * answer depends on), whether the answer came from there ({@code hit}) rather than the model, and
 * for a hit the turn whose answer was reused ({@code from}: its request's position in
 * {@code chat.requests}; null for a miss).
 */
public record CacheUse(String key, boolean hit, String from) {

    /** A lookup that found nothing: the model answered. */
    public static CacheUse miss(String key) {
        return new CacheUse(key, false, null);
    }

    static void write(CacheUse v, DataOutputView out) throws IOException {
        out.writeBoolean(v != null);
        if (v != null) {
            Fields.writeString(out, v.key);
            out.writeBoolean(v.hit);
            Fields.writeString(out, v.from);
        }
    }

    static CacheUse read(DataInputView in) throws IOException {
        return in.readBoolean() ? new CacheUse(Fields.readString(in), in.readBoolean(), Fields.readString(in)) : null;
    }
}
