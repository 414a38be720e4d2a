package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.List;

/**
 * What the prompt-injection detector flagged in a turn: the attack families found in the message
 * and the turns it brought ({@code message}; empty: nothing), the retrieved sources it flagged, in
 * rank order, and whether those were left out of the context ({@code stripped}, the tenant's
 * policy). Names of families and chunk ids only, never text.
 */
public record Injection(List<String> message, List<FlaggedSource> sources, boolean stripped) {

    /** A retrieved source the detector flagged, and the families found in it. */
    public record FlaggedSource(String chunkId, List<String> families) {
        public FlaggedSource {
            families = List.copyOf(families);
        }
    }

    /** Nothing flagged. */
    public static final Injection NONE = new Injection(List.of(), List.of(), false);

    public Injection {
        message = List.copyOf(message);
        sources = List.copyOf(sources);
        stripped = stripped && !sources.isEmpty();
    }

    /** Whether anything was flagged. */
    public boolean any() {
        return !message.isEmpty() || !sources.isEmpty();
    }

    static void write(Injection v, DataOutputView out) throws IOException {
        Fields.writeList(out, v.message, (f, o) -> Fields.writeString(o, f));
        Fields.writeList(out, v.sources, (s, o) -> {
            Fields.writeString(o, s.chunkId());
            Fields.writeList(o, s.families(), (f, p) -> Fields.writeString(p, f));
        });
        out.writeBoolean(v.stripped);
    }

    static Injection read(DataInputView in) throws IOException {
        List<String> message = Fields.readList(in, Fields::readString);
        List<FlaggedSource> sources = Fields.readList(in,
                i -> new FlaggedSource(Fields.readString(i), Fields.readList(i, Fields::readString)));
        return new Injection(message, sources, in.readBoolean());
    }
}
