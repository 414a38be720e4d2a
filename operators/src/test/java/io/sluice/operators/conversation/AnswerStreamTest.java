package io.sluice.operators.conversation;

import io.sluice.operators.guard.AnswerRedactor;
import io.sluice.operators.guard.PiiDetector;
import io.sluice.operators.guard.PiiRedactor;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class AnswerStreamTest {

    /** Feeds pieces and returns the chunks emitted, in order, with the final flush. */
    private static List<StreamedText.Piece> run(AnswerStream stream, List<List<String>> models) {
        List<StreamedText.Piece> out = new ArrayList<>();
        for (List<String> pieces : models) {
            stream.nextModel();
            for (String p : pieces) {
                StreamedText.Piece piece = stream.accept(p);
                if (piece != null) {
                    out.add(piece);
                }
            }
        }
        StreamedText.Piece rest = stream.finish();
        if (rest != null) {
            out.add(rest);
        }
        return out;
    }

    private static String text(List<StreamedText.Piece> pieces) {
        return pieces.stream().map(StreamedText.Piece::text).reduce("", String::concat);
    }

    @Test
    void aMarkerBrokenByAFailoverIsFinishedByTheNextModel() {
        AnswerStream stream = new AnswerStream(1, null, 10_000);
        List<StreamedText.Piece> out = run(stream, List.of(List.of("Refunds take 30 days ["), List.of("1] and [7] more.")));
        assertThat(text(out)).isEqualTo("Refunds take 30 days [1] and  more.");
        assertThat(out).extracting(StreamedText.Piece::sequence).containsExactly(0, 1);
        assertThat(stream.said()).isEqualTo("Refunds take 30 days [1] and [7] more.");
        assertThat(stream.saidByCurrent()).isEqualTo("1] and [7] more.");
        assertThat(stream.currentPieces()).isEqualTo(1);
    }

    @Test
    void personalDataSplitAcrossModelsIsStillRedacted() {
        AnswerStream stream = new AnswerStream(0, new AnswerRedactor(new PiiRedactor(new PiiDetector(),
                new TreeMap<>())), 10_000);
        List<StreamedText.Piece> out = run(stream, List.of(List.of("Write to leak.test@exa"),
                List.of("mple.com today.")));
        assertThat(text(out)).isEqualTo("Write to [EMAIL_1] today.");
        assertThat(text(out)).doesNotContain("example");
    }
}
