package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The recent turns of one conversation, oldest first, as kept in keyed state. Bounded: appending
 * beyond {@code maxTurns} drops the oldest turns.
 */
public record ConversationHistory(List<ConversationTurn> turns) {

    public static final ConversationHistory EMPTY = new ConversationHistory(List.of());

    public static final TypeInformation<ConversationHistory> TYPE =
            new RecordTypeInfo<>(new Codec());

    public ConversationHistory {
        turns = List.copyOf(turns);
    }

    public ConversationHistory append(ConversationTurn turn, int maxTurns) {
        List<ConversationTurn> next = new ArrayList<>(turns);
        next.add(turn);
        int drop = Math.max(0, next.size() - maxTurns);
        return new ConversationHistory(next.subList(drop, next.size()));
    }

    /**
     * The turns said at most {@code ttl} before {@code eventTime}: measured between event times, so
     * the answer never depends on when it is computed. An idle conversation's history is empty.
     */
    public ConversationHistory within(java.time.Duration ttl, long eventTime) {
        List<ConversationTurn> kept = turns.stream().filter(t -> eventTime - t.eventTime() <= ttl.toMillis()).toList();
        return kept.size() == turns.size() ? this : new ConversationHistory(kept);
    }

    public boolean answered(String requestId) {
        return turns.stream().anyMatch(t -> t.requestId().equals(requestId));
    }

    /**
     * Version 2: a list of (requestId, eventTime, question, answer, tokens). Version 1 had no
     * tokens; its turns read back with 0, and the context compiler counts them when it needs to.
     */
    public static final class Codec implements RecordCodec<ConversationHistory> {
        @Override
        public int version() {
            return 2;
        }

        @Override
        public Class<ConversationHistory> typeClass() {
            return ConversationHistory.class;
        }

        @Override
        public void write(ConversationHistory v, DataOutputView out) throws IOException {
            ConversationTurn.Codec turn = new ConversationTurn.Codec();
            Fields.writeList(out, v.turns, turn::write);
        }

        @Override
        public ConversationHistory read(int version, DataInputView in) throws IOException {
            return new ConversationHistory(Fields.readList(in, i -> ConversationTurn.Codec.read(i, version >= 2)));
        }
    }
}
