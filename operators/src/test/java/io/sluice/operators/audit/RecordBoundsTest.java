package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.StageTimings;
import io.sluice.schemas.json.RejectionJson;
import io.sluice.schemas.json.ResponseJson;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The largest record of each kind Sluice writes still fits a Kafka record: every field at its
 * bound, made of the characters that cost most in UTF-8 JSON (control characters become six-byte
 * escapes, other characters up to three bytes).
 */
class RecordBoundsTest {

    /** Six bytes each once JSON-escaped. */
    private static final String CONTROL = "\u0001";
    /** Three bytes each in UTF-8. */
    private static final String WIDE = "\u2603";

    private static int bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8).length;
    }

    private static AnsweredTurn largestTurn() {
        String id = "i".repeat(128);
        ChatRequest request = new ChatRequest(id, id, id, WIDE.repeat(Bounds.MAX_MESSAGE_CHARS), Bounds.MAX_TOP_K,
                1 << 20, Long.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, "remote");
        String docId = WIDE.repeat(512);
        List<RetrievedChunk> chunks = new ArrayList<>();
        List<Citation> citations = new ArrayList<>();
        for (int i = 0; i < Bounds.MAX_TOP_K; i++) {
            String chunkId = docId + "#" + (1_000_000 + i);
            chunks.add(new RetrievedChunk(chunkId, docId, WIDE.repeat(512), "text", 1.0 / 3, 1000, 1000, 200));
            citations.add(new Citation(i + 1, chunkId, docId, WIDE.repeat(512)));
        }
        ModelCall call = new ModelCall(CONTROL.repeat(100_000), 0.123456789, 0.987654321, Integer.MAX_VALUE,
                Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, CONTROL.repeat(100_000), Integer.MAX_VALUE);
        AnsweredTurn turn = new AnsweredTurn(request, "s".repeat(64), "m".repeat(200), chunks, "h".repeat(64),
                Integer.MAX_VALUE, Integer.MAX_VALUE, "m".repeat(200), CONTROL.repeat(Bounds.MAX_ANSWER_CHARS),
                citations, call, AuditLink.UNLINKED, new StageTimings(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE,
                Long.MAX_VALUE));
        return AuditRecord.link(turn, new AuditLink(Long.MAX_VALUE - 1, "f".repeat(64), "f".repeat(64)));
    }

    @Test
    void theLargestAnswerAndPieceRecordsFit() {
        AnsweredTurn turn = largestTurn();
        int answer = bytes(ResponseJson.toJson(ResponseEvent.answer(turn, Integer.MAX_VALUE)));
        int piece = bytes(ResponseJson.toJson(ResponseEvent.piece(turn.request(), Integer.MAX_VALUE,
                CONTROL.repeat(Bounds.MAX_ANSWER_CHARS))));
        System.out.printf("largest answer record %d bytes, piece record %d bytes, bound %d%n", answer, piece,
                Bounds.MAX_RECORD_BYTES);
        assertThat(answer).isLessThan(Bounds.MAX_RECORD_BYTES);
        assertThat(piece).isLessThan(Bounds.MAX_RECORD_BYTES);
    }

    @Test
    void theLargestRejectionFitsWhateverTheInput() {
        String huge = CONTROL.repeat(2_000_000);
        Rejection rejection = new Rejection("conversation", RejectReason.STAGE_FAILED, huge, huge, huge, huge, huge,
                Integer.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
        int size = bytes(RejectionJson.toJson(rejection));
        assertThat(size).isLessThan(64 * 1024);
        assertThat(rejection.payload()).contains("2000000 chars, sha256 ");
    }

    @Test
    void theLargestAuditRowIsBounded() {
        int content = bytes(AuditRecord.of(largestTurn()).text());
        assertThat(content).isLessThan(Bounds.MAX_RECORD_BYTES);
    }
}
