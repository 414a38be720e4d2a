package io.sluice.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer run by DJL's native tokenizers library. Used to
 * feed the embedding model, to count tokens for context budgets (so that both agree), and to encode
 * prompts and decode answers of generative decoders.
 */
public final class HfTokenizer implements TokenCounter, AutoCloseable {

    static {
        DjlSetup.offline();
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens) {
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
    }

    public static HfTokenizer load(Path tokenizerJson, int maxTokens) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException("Tokenizer file not found: " + tokenizerJson);
        }
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return load(in, maxTokens);
        }
    }

    public static HfTokenizer load(InputStream tokenizerJson, int maxTokens) throws IOException {
        // Truncation is applied when feeding the model; counting must see the whole text.
        Map<String, String> options = Map.of("truncation", "false", "padding", "false");
        return new HfTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, options), maxTokens);
    }

    @Override
    public int count(String text) {
        return tokenizer.encode(text, false, false).getIds().length;
    }

    /** The token ids of {@code text}, whole (no truncation), without added special tokens. */
    public long[] encode(String text) {
        return tokenizer.encode(text, false, false).getIds();
    }

    /** The text of {@code ids}, special tokens left out. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /**
     * Encodes a batch for the model: special tokens added, each input cut to the model's maximum,
     * all padded to the longest input of the batch.
     */
    public Batch encodeBatch(List<String> texts) {
        Encoding[] encodings = tokenizer.batchEncode(texts, true, false);
        int width = 1;
        for (Encoding e : encodings) {
            width = Math.max(width, Math.min(e.getIds().length, maxTokens));
        }
        long[] ids = new long[texts.size() * width];
        long[] mask = new long[texts.size() * width];
        long[] types = new long[texts.size() * width];
        for (int row = 0; row < encodings.length; row++) {
            long[] rowIds = encodings[row].getIds();
            int length = Math.min(rowIds.length, width);
            System.arraycopy(rowIds, 0, ids, row * width, length);
            if (rowIds.length > width) {
                // Keep the closing [SEP] when truncating, as the model was trained with it.
                ids[row * width + width - 1] = rowIds[rowIds.length - 1];
            }
            java.util.Arrays.fill(mask, row * width, row * width + length, 1L);
        }
        return new Batch(texts.size(), width, ids, mask, types);
    }

    /** Row-major token ids, attention mask and token type ids of a padded batch. */
    public record Batch(int rows, int width, long[] ids, long[] attentionMask, long[] typeIds) {}

    @Override
    public void close() {
        tokenizer.close();
    }
}
