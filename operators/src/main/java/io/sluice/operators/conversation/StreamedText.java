package io.sluice.operators.conversation;

/**
 * The pieces of one generative answer as they stream, numbered from 0 and cut at a bound: once the
 * pieces hold {@code maxChars} characters, the piece that crosses the bound is cut and later pieces
 * are dropped. {@link #cut} cuts the finished text the same way, so the pieces always add up to the
 * answer. Pieces arrive on the model's thread, the count is read on another: methods are synchronized.
 */
public final class StreamedText {

    /** A piece to emit, with its sequence number. */
    public record Piece(int sequence, String text) {}

    private final int maxChars;
    private int pieces;
    private int chars;

    public StreamedText(int maxChars) {
        this.maxChars = maxChars;
    }

    /** The piece to emit for {@code text}, or null once the bound is reached. */
    public synchronized Piece accept(String text) {
        if (chars >= maxChars) {
            return null;
        }
        String piece = text;
        if (chars + text.length() > maxChars) {
            piece = cut(text, maxChars - chars);
            chars = maxChars;
        } else {
            chars += text.length();
        }
        return new Piece(pieces++, piece);
    }

    /** How many pieces were emitted. */
    public synchronized int pieces() {
        return pieces;
    }

    /**
     * {@code text} in {@code pieces} pieces of about the same length (some may be empty): how a text
     * recorded whole is streamed again in as many pieces as its model once sent.
     */
    public static java.util.List<String> split(String text, int pieces) {
        java.util.List<String> out = new java.util.ArrayList<>(pieces);
        for (int i = 0; i < pieces; i++) {
            out.add(text.substring(text.length() * i / pieces, text.length() * (i + 1) / pieces));
        }
        return out;
    }

    /** The first {@code maxChars} characters of {@code text}, without splitting a surrogate pair. */
    public static String cut(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = maxChars;
        if (end > 0 && Character.isHighSurrogate(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(0, end);
    }
}
