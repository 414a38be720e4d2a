package io.sluice.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer run by DJL's native tokenizers library. Used to
 * feed the embedding model, to count tokens for context budgets (so that both agree), and to encode
 * prompts and decode answers of generative decoders.
 */
public final class HfTokenizer implements TokenCounter, AutoCloseable {

    static {
        DjlSetup.offline();
    }

    /**
     * Normalizers that map each character on its own (so never join the characters on either side of
     * a newline) and keep a newline whitespace.
     */
    private static final Set<String> CHARACTER_NORMALIZERS = Set.of("BertNormalizer", "Lowercase", "NFC", "NFD",
            "NFKC", "NFKD", "StripAccents");
    /** Pre-tokenizers that split at every whitespace and drop it, before any model sees the pieces. */
    private static final Set<String> WHITESPACE_SPLITTERS = Set.of("BertPreTokenizer", "Whitespace",
            "WhitespaceSplit");

    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;
    private final boolean countsAddUpOverLines;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, int maxTokens, boolean countsAddUpOverLines) {
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
        this.countsAddUpOverLines = countsAddUpOverLines;
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
        byte[] json = tokenizerJson.readAllBytes();
        return new HfTokenizer(HuggingFaceTokenizer.newInstance(new java.io.ByteArrayInputStream(json), options),
                maxTokens, countsAddUpOverLines(json));
    }

    /**
     * Whether a {@code tokenizer.json} declares a pipeline whose counts add up over lines: character
     * normalizers only, a pre-tokenizer that splits at whitespace, and no added token that contains
     * whitespace (one could match across a newline).
     */
    static boolean countsAddUpOverLines(byte[] tokenizerJson) throws IOException {
        JsonNode root = new ObjectMapper().readTree(tokenizerJson);
        JsonNode normalizer = root.path("normalizer");
        List<JsonNode> normalizers = new ArrayList<>();
        if (normalizer.path("type").asText().equals("Sequence")) {
            normalizer.path("normalizers").forEach(normalizers::add);
        } else if (!normalizer.isMissingNode() && !normalizer.isNull()) {
            normalizers.add(normalizer);
        }
        for (JsonNode n : normalizers) {
            if (!CHARACTER_NORMALIZERS.contains(n.path("type").asText())) {
                return false;
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (added.path("content").asText().chars().anyMatch(Character::isWhitespace)) {
                return false;
            }
        }
        return WHITESPACE_SPLITTERS.contains(root.path("pre_tokenizer").path("type").asText());
    }

    @Override
    public boolean countsAddUpOverLines() {
        return countsAddUpOverLines;
    }

    @Override
    public int count(String text) {
        return ids(text, false).length;
    }

    /** The token ids of {@code text}, whole (no truncation), without added special tokens. */
    public long[] encode(String text) {
        return ids(text, false);
    }

    /**
     * The ids of one text, read straight from its native encoding. DJL's {@code Encoding} would also
     * copy the tokens as strings, their character spans, word and sequence ids and two masks across
     * JNI, none of which Sluice reads: for a question of 30 tokens, a fifth of the time counting it
     * took (55 µs against 43 on this project's development machine). DJL's Java-side preparation of
     * the text (lower-casing, accent stripping, a prefix space) is off for a tokenizer loaded from a
     * stream without options for it, so the text goes to the native tokenizer as it is, as
     * {@code HuggingFaceTokenizer.encode} would send it.
     */
    private long[] ids(String text, boolean addSpecialTokens) {
        // A null would reach native code, which would not throw but crash the JVM.
        Objects.requireNonNull(text, "text");
        long encoding = TokenizersLibrary.LIB.encode(handle(), text, addSpecialTokens);
        try {
            return TokenizersLibrary.LIB.getTokenIds(encoding);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    private long handle() {
        return tokenizer.getHandle();
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
        long[][] rows = batchIds(texts);
        int width = 1;
        for (long[] row : rows) {
            width = Math.max(width, Math.min(row.length, maxTokens));
        }
        long[] ids = new long[texts.size() * width];
        long[] mask = new long[texts.size() * width];
        long[] types = new long[texts.size() * width];
        int[] whole = new int[rows.length];
        for (int row = 0; row < rows.length; row++) {
            long[] rowIds = rows[row];
            whole[row] = rowIds.length;
            int length = Math.min(rowIds.length, width);
            System.arraycopy(rowIds, 0, ids, row * width, length);
            if (rowIds.length > width) {
                // Keep the closing [SEP] when truncating, as the model was trained with it.
                ids[row * width + width - 1] = rowIds[rowIds.length - 1];
            }
            java.util.Arrays.fill(mask, row * width, row * width + length, 1L);
        }
        return new Batch(texts.size(), width, ids, mask, types, whole);
    }

    /** The ids of each text with special tokens added, from one native batch (as {@link #ids}). */
    private long[][] batchIds(List<String> texts) {
        texts.forEach(text -> Objects.requireNonNull(text, "text"));
        long[] encodings = TokenizersLibrary.LIB.batchEncode(handle(), texts.toArray(String[]::new), true);
        long[][] rows = new long[encodings.length][];
        try {
            for (int i = 0; i < encodings.length; i++) {
                rows[i] = TokenizersLibrary.LIB.getTokenIds(encodings[i]);
            }
        } finally {
            for (long encoding : encodings) {
                TokenizersLibrary.LIB.deleteEncoding(encoding);
            }
        }
        return rows;
    }

    /**
     * Row-major token ids, attention mask and token type ids of a padded batch, and each text's
     * token count before it was cut to the model's maximum (special tokens included).
     */
    public record Batch(int rows, int width, long[] ids, long[] attentionMask, long[] typeIds, int[] wholeLengths) {}

    /**
     * The special tokens {@link #encodeBatch} adds to each text ({@code [CLS]} and {@code [SEP]}: 2 for
     * BERT's tokenizers), so that a text's count is its whole length less these.
     */
    public int addedSpecialTokens() {
        return ids("probe", true).length - ids("probe", false).length;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
