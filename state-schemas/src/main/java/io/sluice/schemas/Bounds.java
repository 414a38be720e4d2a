package io.sluice.schemas;

/**
 * The size bounds of what Sluice writes, and the one way text is cut to fit them. Every record that
 * leaves the job (rejections, answers, chunks, audit rows) is bounded by construction: fields that
 * echo input are cut here, fields that come from models are cut by the stage that produces them,
 * and {@code RecordBoundsTest} proves that the largest record of each kind still fits a Kafka
 * record of {@link #MAX_RECORD_BYTES}.
 *
 * <p>A cut text keeps its start and ends with a marker that says how long the original was and
 * gives its SHA-256, so that an operator can match it with the original elsewhere (a producer's
 * log, the raw topic) without the record carrying it.
 */
public final class Bounds {

    /** Kafka's default {@code max.request.size} is 1 MiB; every record Sluice writes stays below this. */
    public static final int MAX_RECORD_BYTES = 900 * 1024;

    /** Ids echoed in rejections (the valid ones are at most 128 characters). */
    public static final int ECHOED_ID_CHARS = 200;

    /** The human-readable detail of a rejection. */
    public static final int DETAIL_CHARS = 1_000;

    /** The original payload a rejection carries back. */
    public static final int ECHOED_PAYLOAD_CHARS = 8_192;

    /** The longest message any tenant may allow ({@code maxMessageChars} is capped at this). */
    public static final int MAX_MESSAGE_CHARS = 32_000;

    /** The longest answer text: generative answers are cut here (finish reason {@code length}). */
    public static final int MAX_ANSWER_CHARS = 32_000;

    /** A model version or finish reason as a (remote) model reports it. */
    public static final int MODEL_VERSION_CHARS = 256;

    /**
     * The most earlier turns a request without a conversation id may bring. The compiled context
     * keeps the newest of them that fit its token budget.
     */
    public static final int MAX_CLIENT_TURNS = 64;

    /** The most characters, questions and answers together, of the turns a request brings. */
    public static final int MAX_CLIENT_HISTORY_CHARS = 4 * MAX_MESSAGE_CHARS;

    /** The most chunks a request may retrieve ({@code maxTopK} is capped at this). */
    public static final int MAX_TOP_K = 100;

    private Bounds() {}

    /**
     * {@code text} if it has at most {@code maxChars} characters, else its start followed by a marker
     * {@code …[cut: N chars, sha256 H]}, the whole at most {@code maxChars} characters. Never splits a
     * surrogate pair. Null stays null.
     */
    public static String cut(String text, int maxChars) {
        if (text == null || text.length() <= maxChars) {
            return text;
        }
        String marker = "…[cut: " + text.length() + " chars, sha256 " + Hashing.sha256Hex(text) + "]";
        int keep = Math.max(0, maxChars - marker.length());
        if (keep > 0 && Character.isHighSurrogate(text.charAt(keep - 1))) {
            keep--;
        }
        return text.substring(0, keep) + marker;
    }

    /**
     * Raw bytes that were not accepted as text (too many, or not UTF-8), shown back: the start of a
     * lossy decoding (bad bytes become U+FFFD) and a marker {@code …[N bytes, sha256 H]} naming all
     * of the original bytes; at most {@code maxChars} characters.
     */
    public static String echo(byte[] bytes, int maxChars) {
        if (bytes == null) {
            return null;
        }
        String marker = "…[" + bytes.length + " bytes, sha256 "
                + java.util.HexFormat.of().formatHex(Hashing.sha256().digest(bytes)) + "]";
        int keep = Math.max(0, maxChars - marker.length());
        String shown = new String(bytes, 0, Math.min(bytes.length, keep), java.nio.charset.StandardCharsets.UTF_8);
        if (shown.length() > keep) {
            shown = shown.substring(0, keep);
        }
        if (!shown.isEmpty() && Character.isHighSurrogate(shown.charAt(shown.length() - 1))) {
            shown = shown.substring(0, shown.length() - 1);
        }
        return shown + marker;
    }

    /** Whether {@code text} was cut by {@link #cut}. */
    public static boolean isCut(String text) {
        return text != null && text.endsWith("]") && text.contains("…[cut: ");
    }
}
