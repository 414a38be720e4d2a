package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * One answered turn of a conversation as kept in state: the question, the answer given, and the
 * turn's token count as a compiled context shows it (0 where unknown: turns written by history codec
 * version 1).
 */
public record ConversationTurn(String requestId, long eventTime, String question, String answer, int tokens) {

    /** A turn whose token count is not known. */
    public ConversationTurn(String requestId, long eventTime, String question, String answer) {
        this(requestId, eventTime, question, answer, 0);
    }

    /**
     * A turn a client sent with its request (a stateless request): no request id or event time of
     * its own, and tokens counted when a context is compiled.
     */
    public static ConversationTurn fromClient(String question, String answer) {
        return new ConversationTurn("", 0L, question, answer, 0);
    }

    public ConversationTurn withTokens(int count) {
        return new ConversationTurn(requestId, eventTime, question, answer, count);
    }

    /** A turn alone, as the conversation operator keeps each turn of a history in an entry of its own. */
    public static final TypeInformation<ConversationTurn> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1: (requestId, eventTime, question, answer, tokens), as in version 2 of the history's list. */
    public static final class Codec implements RecordCodec<ConversationTurn> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<ConversationTurn> typeClass() {
            return ConversationTurn.class;
        }

        @Override
        public void write(ConversationTurn t, DataOutputView out) throws IOException {
            Fields.writeString(out, t.requestId);
            out.writeLong(t.eventTime);
            Fields.writeString(out, t.question);
            Fields.writeString(out, t.answer);
            out.writeInt(t.tokens);
        }

        @Override
        public ConversationTurn read(int version, DataInputView in) throws IOException {
            return read(in, true);
        }

        /** A turn with or without its token count (the history's list before version 2 had none). */
        static ConversationTurn read(DataInputView in, boolean withTokens) throws IOException {
            return new ConversationTurn(Fields.readString(in), in.readLong(), Fields.readString(in),
                    Fields.readString(in), withTokens ? in.readInt() : 0);
        }
    }
}
