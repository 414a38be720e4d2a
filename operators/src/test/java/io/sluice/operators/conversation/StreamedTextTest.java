package io.sluice.operators.conversation;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StreamedTextTest {

    @Test
    void piecesAreNumberedAndCutAtTheBoundLikeTheWholeText() {
        StreamedText streamed = new StreamedText(10);
        StringBuilder joined = new StringBuilder();
        for (String piece : new String[] {"abcd", "efgh", "ij\uD83D\uDE00kl", "mn"}) {
            StreamedText.Piece p = streamed.accept(piece);
            if (p != null) {
                joined.append(p.text());
            }
        }
        assertThat(streamed.pieces()).isEqualTo(3);
        // "ij" then a surrogate pair that would cross the bound: the pair is not split, it is dropped.
        assertThat(joined.toString()).isEqualTo("abcdefghij")
                .isEqualTo(StreamedText.cut("abcdefghij\uD83D\uDE00klmn", 10));
        assertThat(StreamedText.cut("abcdefghi\uD83D\uDE00", 10)).isEqualTo("abcdefghi");
    }
}
