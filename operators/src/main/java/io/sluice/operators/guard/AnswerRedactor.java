package io.sluice.operators.guard;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Redacts personal data in an answer as it streams: each piece goes in ({@link #accept}), and what
 * comes out is the text that can no longer turn out to be part of a value, redacted; the rest waits
 * for the next piece or {@link #finish}. The pieces that come out add up to what
 * {@link PiiRedactor#redact} makes of the whole answer (a property test cuts random texts with
 * personal data at random places).
 *
 * <p>What is held back: the last {@value #HOLD} characters, widened to the start of the word they
 * begin in (a key or an address is one word of any length), and any value found across that line,
 * including one that loses to an overlapping value for now (the winner may not survive more text).
 * A value longer than that (an IBAN with spaces is at most 42 characters) is the one way through.
 * Each scan also sees the {@value #CONTEXT} characters before the held text, so that "order
 * 4111..." reads as a reference here as it does in the whole text. One per turn; not thread-safe.
 */
public final class AnswerRedactor {

    static final int HOLD = 64;
    static final int CONTEXT = 64;

    private final PiiRedactor redactor;
    private final StringBuilder pending = new StringBuilder();
    private final Map<PiiType, Integer> counts = new EnumMap<>(PiiType.class);
    private String context = "";

    /** @param redactor the turn's redactor (its numbering continues the question's) */
    public AnswerRedactor(PiiRedactor redactor) {
        this.redactor = redactor;
    }

    /** The text of {@code piece} and the pieces before it that is safe to send now, redacted. */
    public String accept(String piece) {
        pending.append(piece);
        String scanned = context + pending;
        List<PiiFinding> findings = within(redactor.detector().find(scanned), context.length());
        int cut = pending.length() - HOLD;
        while (cut > 0 && !Character.isWhitespace(pending.charAt(cut - 1))) {
            cut--;
        }
        // Not through any candidate value, kept or not: which of two overlapping ones wins may change
        // with the text still to come (an address that a later letter makes invalid frees the card
        // number it overlapped). Moving the cut may put it inside another: repeat until none is.
        List<PiiFinding> candidates = within(redactor.detector().candidates(scanned), context.length());
        for (boolean moved = true; moved && cut > 0; ) {
            moved = false;
            for (PiiFinding f : candidates) {
                if (f.start() < cut && f.end() > cut) {
                    cut = f.start();
                    moved = true;
                }
            }
        }
        return cut <= 0 ? "" : emit(cut, findings);
    }

    /** The rest of the answer, redacted. */
    public String finish() {
        List<PiiFinding> findings = within(redactor.detector().find(context + pending), context.length());
        return emit(pending.length(), findings);
    }

    /** What was redacted so far, by kind, in name order. */
    public SortedMap<String, Integer> redacted() {
        SortedMap<String, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k.name(), v));
        return out;
    }

    private String emit(int cut, List<PiiFinding> findings) {
        String text = pending.substring(0, cut);
        List<PiiFinding> inside = new ArrayList<>();
        for (PiiFinding f : findings) {
            if (f.end() <= cut) {
                inside.add(f);
            }
        }
        PiiRedactor.Redaction r = redactor.apply(text, inside);
        r.counts().forEach((k, v) -> counts.merge(k, v, Integer::sum));
        String seen = context + text;
        context = seen.substring(Math.max(0, seen.length() - CONTEXT));
        pending.delete(0, cut);
        return r.text();
    }

    /** The findings that begin in the pending text, moved to its positions. */
    private static List<PiiFinding> within(List<PiiFinding> findings, int offset) {
        List<PiiFinding> out = new ArrayList<>();
        for (PiiFinding f : findings) {
            if (f.start() >= offset) {
                out.add(new PiiFinding(f.type(), f.start() - offset, f.end() - offset));
            }
        }
        return out;
    }
}
