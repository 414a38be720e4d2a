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
    void splitsMarkdownListsTablesAndCodeByLine() {
        String md = "Intro line\n- first item\n  continued\n* second item\n1. third\n\n"
                + "| key | meaning |\n|---|:---:|\n| `a` | the A |\n\n```bash\nrun it\n\nagain\n```\nAfter.";
        assertThat(SentenceSplitter.split(md)).containsExactly("Intro line", "first item continued",
                "second item", "third", "key; meaning", "`a`; the A", "run it", "again", "After.");
    }

    @Test
    void emptyOrNullGivesNothing() {
        assertThat(SentenceSplitter.split("  \n\n ")).isEmpty();
        assertThat(SentenceSplitter.split(null)).isEmpty();
    }

    @Test
    void collapsesWhitespaceAsTheRegularExpressionDid() {
        long seed = new java.util.Random().nextLong();
        System.out.println("SentenceSplitterTest seed " + seed);
        java.util.Random random = new java.util.Random(seed);
        String alphabet = "ab. \t\n\u000B\f\r\u00a0\u2028\u3000\u0085x";
        for (int i = 0; i < 10_000; i++) {
            StringBuilder text = new StringBuilder();
            for (int c = random.nextInt(30); c > 0; c--) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String t = text.toString();
            assertThat(SentenceSplitter.collapseWhitespace(t)).as("seed %d: %s", seed, t)
                    .isEqualTo(t.replaceAll("\\s+", " "));
        }
    }
}
