package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * One record of a turn's response on {@code chat.responses}: either a streamed piece of the answer
 * ({@code piece}) or the finished turn ({@code answer}). Both carry the request id and a sequence
 * number: a streaming model's pieces are numbered 0, 1, ... in the order it produced them and the
 * answer comes last with the next number; a model that does not stream writes the answer alone as
 * number 0. The two kinds travel in one stream so a partition keeps them in order.
 *
 * <p>After a recovery a turn's pieces can be written again; readers keep the highest sequence
 * number they have seen per request and drop the rest. The answer record holds the whole text,
 * whatever pieces a reader saw. {@code replyPartition} routes the record as its request asked (see
 * {@link ChatRequest}).
 */
public record ResponseEvent(
        String requestId,
        String conversationId,
        String tenantId,
        int sequence,
        String piece,
        AnsweredTurn answer,
        int replyPartition) {

    public ResponseEvent {
        if ((piece == null) == (answer == null)) {
            throw new IllegalArgumentException("a response event is either a piece or an answer");
        }
    }

    /** Piece {@code sequence} of the answer to {@code request}. */
    public static ResponseEvent piece(ChatRequest request, int sequence, String text) {
        return new ResponseEvent(request.requestId(), request.conversationId(), request.tenantId(), sequence,
                text, null, request.replyPartition());
    }

    /** The finished turn, after {@code sequence} streamed pieces. */
    public static ResponseEvent answer(AnsweredTurn turn, int sequence) {
        ChatRequest r = turn.request();
        return new ResponseEvent(r.requestId(), r.conversationId(), r.tenantId(), sequence, null, turn,
                r.replyPartition());
    }

    public boolean isAnswer() {
        return answer != null;
    }

    public static final TypeInformation<ResponseEvent> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 2 added the reply partition (version 1 records read back without one). */
    public static final class Codec implements RecordCodec<ResponseEvent> {
        private static final AnsweredTurn.Codec TURN = new AnsweredTurn.Codec();

        @Override
        public int version() {
            return 2;
        }

        @Override
        public Class<ResponseEvent> typeClass() {
            return ResponseEvent.class;
        }

        @Override
        public void write(ResponseEvent v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.requestId);
            Fields.writeString(out, v.conversationId);
            Fields.writeString(out, v.tenantId);
            out.writeInt(v.sequence);
            out.writeBoolean(v.isAnswer());
            if (v.isAnswer()) {
                out.writeInt(TURN.version());
                TURN.write(v.answer, out);
            } else {
                Fields.writeString(out, v.piece);
            }
            out.writeInt(v.replyPartition);
        }

        @Override
        public ResponseEvent read(int version, DataInputView in) throws IOException {
            String requestId = Fields.readString(in);
            String conversationId = Fields.readString(in);
            String tenantId = Fields.readString(in);
            int sequence = in.readInt();
            AnsweredTurn answer = null;
            String piece = null;
            if (in.readBoolean()) {
                answer = TURN.read(in.readInt(), in);
            } else {
                piece = Fields.readString(in);
            }
            return new ResponseEvent(requestId, conversationId, tenantId, sequence, piece, answer,
                    version >= 2 ? in.readInt() : -1);
        }
    }
}
