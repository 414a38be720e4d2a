package io.sluice.schemas;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * How an answer's citations held up against its context: {@code droppedMarkers} counts the
 * {@code [n]} markers that named no source of the compiled context and were removed from the text;
 * {@code ungrounded} flags a generative answer that cited no source although the context had some.
 */
public record Grounding(int droppedMarkers, boolean ungrounded) {

    /** Every marker named a source, and the answer cited one where it could. */
    public static final Grounding SOUND = new Grounding(0, false);

    public Grounding {
        if (droppedMarkers < 0) {
            throw new IllegalArgumentException("dropped markers cannot be negative");
        }
    }

    public boolean sound() {
        return droppedMarkers == 0 && !ungrounded;
    }

    static void write(Grounding g, DataOutputView out) throws IOException {
        out.writeInt(g.droppedMarkers);
        out.writeBoolean(g.ungrounded);
    }

    static Grounding read(DataInputView in) throws IOException {
        return new Grounding(in.readInt(), in.readBoolean());
    }
}
