package io.sluice.operators.text;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SentenceSplitterTest {

    @Test
    void splitsSentencesParagraphsAndHeadings() {
        assertThat(SentenceSplitter.split("# Title\nFirst one. Second\nline continues.\n\n## Sub\nThird!"))
                .containsExactly("Title", "First one.", "Second line continues.", "Sub", "Third!");
    }

    @Test
    void keepsAbbreviationsAndDecimalsInsideSentences() {
        assertThat(SentenceSplitter.split("It costs 3.5 units, e.g. in 2024. Next."))
                .containsExactly("It costs 3.5 units, e.g. in 2024.", "Next.");
    }

    @Test
    void emptyOrNullGivesNothing() {
        assertThat(SentenceSplitter.split("  \n\n ")).isEmpty();
        assertThat(SentenceSplitter.split(null)).isEmpty();
    }
}
