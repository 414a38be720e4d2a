package io.sluice.operators.chunk;

import io.sluice.model.TokenCounter;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.Document;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChunkerTest {

    /** One token per whitespace-separated word keeps the arithmetic of these tests visible. */
    private static final TokenCounter WORDS = text -> text.isBlank() ? 0 : text.strip().split("\\s+").length;

    private static Document doc(String text) {
        return new Document("t1", "doc-1", "Title", text, 0L);
    }

    @Test
    void packsWholeSentencesUnderTheBound() {
        // Five sentences of four words each; 16 + 4 would exceed 18.
        String text = "One two three four. Five six seven eight. Nine ten eleven twelve. "
                + "Thirteen fourteen fifteen sixteen. Seventeen eighteen nineteen twenty.";
        List<Chunk> chunks = new Chunker(new ChunkerSettings(18, 0), WORDS).chunk(doc(text));
        assertThat(chunks).extracting(Chunk::text).containsExactly(
                "One two three four.\nFive six seven eight.\nNine ten eleven twelve.\nThirteen fourteen fifteen sixteen.",
                "Seventeen eighteen nineteen twenty.");
        assertThat(chunks).allSatisfy(c -> assertThat(WORDS.count(c.text())).isLessThanOrEqualTo(18));
    }

    @Test
    void repeatsTrailingSentencesAsOverlap() {
        String text = "A b c d. E f g h. I j k l. M n o p.";
        List<Chunk> chunks = new Chunker(new ChunkerSettings(16, 4), WORDS).chunk(doc(text + " Q r s t."));
        assertThat(chunks).hasSize(2);
        assertThat(chunks.get(1).text()).isEqualTo("M n o p.\nQ r s t.");
    }

    @Test
    void chunkIdsAreDocumentIdAndPosition() {
        String text = "A b c d. E f g h. I j k l.";
        List<Chunk> chunks = new Chunker(new ChunkerSettings(16, 0), WORDS).chunk(doc(text + " " + text + " " + text + " " + text + " " + text + " " + text));
        assertThat(chunks).extracting(Chunk::chunkId).startsWith("doc-1#0", "doc-1#1");
        assertThat(chunks).allSatisfy(c -> assertThat(c.chunksInDocument()).isEqualTo(chunks.size()));
        // Deterministic: same input, same chunks.
        assertThat(new Chunker(new ChunkerSettings(16, 0), WORDS).chunk(doc(text + " " + text + " " + text + " " + text + " " + text + " " + text)))
                .isEqualTo(chunks);
    }

    @Test
    void aChunkKnowsItsTokenCountAsAContextShowsIt() {
        try (var tokenizer = io.sluice.model.EmbeddingModels.bundledMiniLmTokenizer()) {
            Document d = new Document("t", "d", "Refund policy", "Refunds take five days. Opened software cannot be refunded. ".repeat(20), 0L);
            for (Chunk c : new Chunker(new ChunkerSettings(64, 16), tokenizer).chunk(d)) {
                assertThat(c.tokens()).isEqualTo(tokenizer.count(c.title() + "\n" + c.text()));
            }
        }
    }

    @Test
    void cutsASentenceLongerThanTheBoundAtWords() {
        String longSentence = String.join(" ", java.util.Collections.nCopies(40, "word")) + ".";
        List<Chunk> chunks = new Chunker(new ChunkerSettings(16, 0), WORDS).chunk(doc(longSentence));
        assertThat(chunks).hasSize(3);
        assertThat(chunks).allSatisfy(c -> assertThat(WORDS.count(c.text())).isLessThanOrEqualTo(16));
    }

    @Test
    void paragraphsAndHeadingsBreakSentences() {
        List<Chunk> chunks = new Chunker(new ChunkerSettings(100, 0), WORDS)
                .chunk(doc("# Heading\nFirst paragraph without a period\n\nSecond one."));
        assertThat(chunks).singleElement().extracting(Chunk::text)
                .isEqualTo("Heading\nFirst paragraph without a period\nSecond one.");
    }

    @Test
    void outputIsPinnedToTheAlgorithmVersion() {
        // If this fails because the chunking rules changed on purpose, bump
        // ChunkerSettings.ALGORITHM_VERSION and update the expectation.
        String md = "# Guide\nThe job reads topics. It writes answers.\n\n- one item here\n| a | b |\n|---|---|\n| c | d |";
        List<Chunk> chunks = new Chunker(new ChunkerSettings(16, 4), WORDS).chunk(doc(md));
        assertThat(ChunkerSettings.ALGORITHM_VERSION).isEqualTo(3);
        assertThat(chunks).extracting(Chunk::text).containsExactly(
                "Guide\nThe job reads topics.\nIt writes answers.\none item here\na; b\nc; d");
        assertThat(new ChunkerSettings(16, 4).fingerprint()).isEqualTo("sentence-chunker-v3:max=16:overlap=4");
    }

    @Test
    void emptyDocumentGivesNoChunks() {
        assertThat(new Chunker(ChunkerSettings.DEFAULT, WORDS).chunk(doc("   "))).isEmpty();
    }

    @Test
    void rejectsOverlapNotBelowTheBound() {
        assertThatThrownBy(() -> new ChunkerSettings(32, 32)).hasMessageContaining("overlap");
    }
}
