package io.sluice.operators.guard;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces personal data with typed placeholders ({@code [EMAIL_1]}, {@code [PHONE_2]}), numbered
 * per type in order of first appearance. One redactor serves one turn: the same value gets the same
 * placeholder in the question, the history and the answer, so that an answer can still refer to
 * "[EMAIL_1]". Not thread-safe; never shared between turns (its map holds the turn's raw values).
 */
public final class PiiRedactor {

    /** A redacted text and how many findings of each type it had. */
    public record Redaction(String text, Map<PiiType, Integer> counts) {

        public boolean changed() {
            return !counts.isEmpty();
        }
    }

    private final PiiDetector detector;
    private final Map<String, String> placeholders = new HashMap<>();
    private final Map<PiiType, Integer> numbered = new EnumMap<>(PiiType.class);

    public PiiRedactor(PiiDetector detector) {
        this.detector = detector;
    }

    /**
     * A redactor whose placeholders continue after {@code taken} (kind name to count, as a request's
     * {@code redacted}): an answer's new values never reuse a placeholder the question had.
     */
    public PiiRedactor(PiiDetector detector, Map<String, Integer> taken) {
        this.detector = detector;
        taken.forEach((kind, n) -> numbered.put(PiiType.valueOf(kind), n));
    }

    public PiiDetector detector() {
        return detector;
    }

    public Redaction redact(String text) {
        return apply(text, detector.find(text));
    }

    /** {@code text} with {@code findings} (found in it, in order, not overlapping) replaced. */
    public Redaction apply(String text, List<PiiFinding> findings) {
        if (findings.isEmpty()) {
            return new Redaction(text, Map.of());
        }
        Map<PiiType, Integer> counts = new EnumMap<>(PiiType.class);
        StringBuilder out = new StringBuilder(text.length());
        int from = 0;
        for (PiiFinding f : findings) {
            out.append(text, from, f.start()).append(placeholder(f.type(), f.in(text)));
            counts.merge(f.type(), 1, Integer::sum);
            from = f.end();
        }
        out.append(text, from, text.length());
        return new Redaction(out.toString(), Map.copyOf(counts));
    }

    private String placeholder(PiiType type, String value) {
        return placeholders.computeIfAbsent(type + "\u0000" + value,
                k -> "[" + type + "_" + numbered.merge(type, 1, Integer::sum) + "]");
    }
}
