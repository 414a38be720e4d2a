package io.sluice.model;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class HfTokenizerTest {

    /** Letters, digits, punctuation, the characters escaping rewrites, accents, CJK, every whitespace. */
    private static final String ALPHABET = "abcXYZ019 .,;:!?'\"()[]{}<>&/#=-_\t\n\r\u00a0éüñß中文字ΩЖ\u2028";

    @Test
    void theBundledTokenizersCountsAddUpOverLinesForAnyTexts() {
        long seed = new Random().nextLong();
        System.out.println("HfTokenizerTest seed " + seed);
        Random random = new Random(seed);
        for (String model : new String[] {EmbeddingModels.BUNDLED_MINILM, EmbeddingModels.BUNDLED_MINILM_QUANTIZED,
            EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED}) {
            try (HfTokenizer tokenizer = EmbeddingModels.tokenizer(model)) {
                assertThat(tokenizer.countsAddUpOverLines()).as(model).isTrue();
                for (int i = 0; i < 2_000; i++) {
                    String a = text(random);
                    String b = text(random);
                    assertThat(tokenizer.count(a + "\n" + b)).as("seed %d: %s | %s", seed, a, b)
                            .isEqualTo(tokenizer.count(a) + tokenizer.count(b));
                }
            }
        }
    }

    @Test
    void aPipelineThatMayJoinAcrossANewlineIsNotDeclaredAdditive() throws Exception {
        assertThat(HfTokenizer.countsAddUpOverLines(json("{\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},\"added_tokens\":[]}"))).isTrue();
        assertThat(HfTokenizer.countsAddUpOverLines(json("{\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":"
                + "[{\"type\":\"NFD\"},{\"type\":\"Lowercase\"}]},\"pre_tokenizer\":{\"type\":\"Whitespace\"}}"))).isTrue();
        // Byte-level BPE (GPT-2's) keeps whitespace inside its tokens.
        assertThat(HfTokenizer.countsAddUpOverLines(json("{\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}"))).isFalse();
        // A normalizer that rewrites text by pattern may join lines.
        assertThat(HfTokenizer.countsAddUpOverLines(json("{\"normalizer\":{\"type\":\"Replace\"},"
                + "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"}}"))).isFalse();
        // An added token with whitespace in it can match across a newline.
        assertThat(HfTokenizer.countsAddUpOverLines(json("{\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
                + "\"added_tokens\":[{\"content\":\"<end of\\nturn>\"}]}"))).isFalse();
        // The tiny decoder of the tests (and no pre-tokenizer at all): not declared.
        assertThat(HfTokenizer.countsAddUpOverLines(json("{\"model\":{}}"))).isFalse();
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Random random) {
        StringBuilder sb = new StringBuilder();
        int length = random.nextInt(40);
        for (int i = 0; i < length; i++) {
            if (random.nextInt(4) == 0) {
                sb.append(random.nextBoolean() ? "snapshot" : "tokenization");
            } else {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
        }
        return sb.toString();
    }
}
