package io.sluice.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class HfTokenizerTest {

    /** Letters, digits, punctuation, the characters escaping rewrites, accents, CJK, every whitespace. */
    private static final String ALPHABET = "abcXYZ019 .,;:!?'\"()[]{}<>&/#=-_\t\n\r\u00a0éüñß中文字ΩЖ\u2028";

    @Test
    void theBundledTokenizersCountsAddUpOverLinesAndSpacesForAnyTexts() {
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
                    // Any whitespace splits alike (a query prefix ends in a space).
                    assertThat(tokenizer.count(a + " " + b)).as("seed %d: %s | %s", seed, a, b)
                            .isEqualTo(tokenizer.count(a) + tokenizer.count(b));
                }
            }
        }
    }

    /** The ids read straight from the native encodings are the ids of DJL's own {@code Encoding}s. */
    @Test
    void idsAreThoseOfDjlsEncodingsAloneAndInBatches() throws Exception {
        long seed = new Random().nextLong();
        System.out.println("HfTokenizerTest ids seed " + seed);
        Random random = new Random(seed);
        String model = EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED;
        var file = EmbeddingModels.bundledDirectory(model).resolve(OnnxEmbeddingModel.TOKENIZER_FILE);
        try (HfTokenizer tokenizer = EmbeddingModels.tokenizer(model);
                HuggingFaceTokenizer djl = HuggingFaceTokenizer.newInstance(file,
                        Map.of("truncation", "false", "padding", "false"))) {
            for (int round = 0; round < 200; round++) {
                List<String> texts = new ArrayList<>();
                for (int i = 0; i < 1 + random.nextInt(8); i++) {
                    texts.add(text(random));
                }
                for (String text : texts) {
                    long[] expected = djl.encode(text, false, false).getIds();
                    assertThat(tokenizer.encode(text)).as("seed %d: %s", seed, text).containsExactly(expected);
                    assertThat(tokenizer.count(text)).isEqualTo(expected.length);
                }
                Encoding[] expected = djl.batchEncode(texts, true, false);
                HfTokenizer.Batch batch = tokenizer.encodeBatch(texts);
                for (int row = 0; row < texts.size(); row++) {
                    long[] ids = expected[row].getIds();
                    assertThat(Arrays.copyOfRange(batch.ids(), row * batch.width(), row * batch.width() + ids.length))
                            .as("seed %d: %s", seed, texts.get(row)).containsExactly(ids);
                    assertThat(batch.wholeLengths()[row]).isEqualTo(ids.length)
                            .isEqualTo(tokenizer.count(texts.get(row)) + tokenizer.addedSpecialTokens());
                }
            }
        }
    }

    @Test
    void aNullTextIsRefusedBeforeItReachesNativeCode() {
        try (HfTokenizer tokenizer = EmbeddingModels.tokenizer(EmbeddingModels.BUNDLED_MINILM_QUANTIZED)) {
            org.assertj.core.api.Assertions.assertThatNullPointerException().isThrownBy(() -> tokenizer.count(null));
            org.assertj.core.api.Assertions.assertThatNullPointerException()
                    .isThrownBy(() -> tokenizer.encodeBatch(java.util.Arrays.asList("a", null)));
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
