package io.sluice.operators.answer;

/**
 * Removes the citation markers ({@code [n]}, one to three digits) that name no source of the
 * compiled context, so that a client never follows a footnote to nothing. It works on a streamed
 * answer piece by piece: a piece that ends in what may still become a marker ({@code [}, {@code [1}
 * ...) keeps that end back until the next piece decides it, and {@link #finish} releases what is
 * left when the stream ends. Whatever the piece boundaries, the pieces it returns add up to
 * {@link #clean} of the whole text. Pieces arrive on the model's thread: methods are synchronized.
 */
public final class CitationFilter {

    /** A text with its markers checked, and how many were removed. */
    public record Cleaned(String text, int droppedMarkers) {}

    /** "[" and up to three digits: the longest unfinished marker. */
    private static final int LONGEST_PREFIX = 4;

    private final int sources;
    private final StringBuilder held = new StringBuilder(LONGEST_PREFIX);
    private int dropped;

    /** @param sources how many sources the context had: markers 1 to {@code sources} are kept */
    public CitationFilter(int sources) {
        this.sources = sources;
    }

    /** {@code text} without the markers that name no source of {@code sources}. */
    public static Cleaned clean(String text, int sources) {
        CitationFilter filter = new CitationFilter(sources);
        String cleaned = filter.accept(text) + filter.finish();
        return new Cleaned(cleaned, filter.dropped());
    }

    /** The part of {@code piece} that can be emitted now (possibly empty). */
    public synchronized String accept(String piece) {
        StringBuilder out = new StringBuilder(piece.length() + LONGEST_PREFIX);
        for (int i = 0; i < piece.length(); i++) {
            feed(piece.charAt(i), out);
        }
        return out.toString();
    }

    /** What was held back at the end of the stream: an unfinished marker is plain text. */
    public synchronized String finish() {
        String rest = held.toString();
        held.setLength(0);
        return rest;
    }

    /** Markers removed so far. */
    public synchronized int dropped() {
        return dropped;
    }

    private void feed(char c, StringBuilder out) {
        if (held.length() == 0) {
            if (c == '[') {
                held.append(c);
            } else {
                out.append(c);
            }
            return;
        }
        if (c >= '0' && c <= '9' && held.length() < LONGEST_PREFIX) {
            held.append(c);
            return;
        }
        if (c == ']' && held.length() > 1) {
            int marker = Integer.parseInt(held, 1, held.length(), 10);
            if (marker >= 1 && marker <= sources) {
                out.append(held).append(']');
            } else {
                dropped++;
            }
            held.setLength(0);
            return;
        }
        // Not a marker after all: what was held is text, and c starts afresh (it may be a '[').
        out.append(held);
        held.setLength(0);
        feed(c, out);
    }
}
