package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * How the answer model was called for one turn and what it reported: the version the model (or the
 * remote server) gave, the effective sampling parameters and seed, token usage ({@code -1} where the
 * backend reported none), the finish reason, and how many pieces the model streamed ({@code pieces};
 * the pieces sent on to the client may be fewer, where redaction held text back and merged them).
 * Recorded in the audit row so a turn can be re-run with the same parameters.
 */
public record ModelCall(
        String modelVersion,
        double temperature,
        double topP,
        int maxTokens,
        long seed,
        long promptTokens,
        long completionTokens,
        String finishReason,
        int pieces) {

    /** A remote server names its model version and finish reason: bounded like everything echoed. */
    public ModelCall {
        modelVersion = Bounds.cut(modelVersion, Bounds.MODEL_VERSION_CHARS);
        finishReason = Bounds.cut(finishReason, Bounds.MODEL_VERSION_CHARS);
    }

    /** What a model that samples nothing and streams nothing (the extractive answerer) records. */
    public static ModelCall local(String modelVersion) {
        return new ModelCall(modelVersion, 0.0, 1.0, 0, 0L, -1, -1, "stop", 0);
    }

    static void write(ModelCall c, DataOutputView out) throws IOException {
        Fields.writeString(out, c.modelVersion);
        out.writeDouble(c.temperature);
        out.writeDouble(c.topP);
        out.writeInt(c.maxTokens);
        out.writeLong(c.seed);
        out.writeLong(c.promptTokens);
        out.writeLong(c.completionTokens);
        Fields.writeString(out, c.finishReason);
        out.writeInt(c.pieces);
    }

    static ModelCall read(DataInputView in) throws IOException {
        return new ModelCall(Fields.readString(in), in.readDouble(), in.readDouble(), in.readInt(),
                in.readLong(), in.readLong(), in.readLong(), Fields.readString(in), in.readInt());
    }
}
