package io.sluice.operators.guard;

import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.tenants.PiiPolicy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A tenant's personal-data policy applied to what a request brings: its message and the turns it
 * carries (redacted with one {@link PiiRedactor}, so a value keeps its placeholder across them),
 * its ids (keys, which cannot be redacted: personal data there is refused unless allowed), and what
 * a rejection echoes back (always redacted: an echo is for diagnosis, and the raw record stays in
 * {@code chat.requests}). Plain and deterministic; thread-safe (a redactor per call).
 */
public final class PiiGuard {

    /** The message and brought turns as the request goes on, and what was redacted in them. */
    public record Guarded(String message, ConversationHistory history, SortedMap<String, Integer> redacted) {}

    /** The request may not go on: the kinds of data found (never the values), for the rejection. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private final PiiDetector detector;

    public PiiGuard(PiiDetector detector) {
        this.detector = detector;
    }

    /** Refuses an id ({@code field} names it) that holds personal data, unless the policy allows it. */
    public void checkId(PiiPolicy policy, String field, String id) throws Refused {
        if (policy == PiiPolicy.ALLOW || id == null) {
            return;
        }
        Set<PiiType> kinds = kinds(detector.find(id));
        if (!kinds.isEmpty()) {
            throw new Refused("'" + field + "' holds personal data (" + names(kinds) + "); ids are keys and are "
                    + "stored as they are: use an opaque id");
        }
    }

    /**
     * The message and brought turns ({@code history} may be null) under {@code policy}: unchanged
     * (allow, or nothing found), redacted, or refused (reject, and something was found).
     */
    public Guarded apply(PiiPolicy policy, String message, ConversationHistory history) throws Refused {
        if (policy == PiiPolicy.ALLOW) {
            return new Guarded(message, history, new TreeMap<>());
        }
        PiiRedactor redactor = new PiiRedactor(detector);
        SortedMap<String, Integer> counts = new TreeMap<>();
        String safeMessage = redacted(redactor, message, counts);
        ConversationHistory safeHistory = history;
        if (history != null && !history.turns().isEmpty()) {
            List<ConversationTurn> turns = new ArrayList<>(history.turns().size());
            for (ConversationTurn t : history.turns()) {
                turns.add(ConversationTurn.fromClient(redacted(redactor, t.question(), counts),
                        redacted(redactor, t.answer(), counts)));
            }
            safeHistory = new ConversationHistory(turns);
        }
        if (policy == PiiPolicy.REJECT && !counts.isEmpty()) {
            throw new Refused("the request holds personal data (" + String.join(", ", counts.keySet())
                    + ") and tenant policy is to refuse it");
        }
        return new Guarded(safeMessage, safeHistory, counts);
    }

    /**
     * {@code texts} fit to echo in a rejection or a log: every value replaced by its placeholder,
     * numbered across them all (an id and the payload that holds it show the same placeholder);
     * nulls stay null.
     */
    public List<String> echo(String... texts) {
        PiiRedactor redactor = new PiiRedactor(detector);
        List<String> echoed = new ArrayList<>(texts.length);
        for (String text : texts) {
            echoed.add(text == null ? null : redactor.redact(text).text());
        }
        return echoed;
    }

    private static String redacted(PiiRedactor redactor, String text, Map<String, Integer> counts) {
        PiiRedactor.Redaction r = redactor.redact(text);
        r.counts().forEach((type, n) -> counts.merge(type.name(), n, Integer::sum));
        return r.text();
    }

    private static Set<PiiType> kinds(List<PiiFinding> findings) {
        Set<PiiType> kinds = EnumSet.noneOf(PiiType.class);
        findings.forEach(f -> kinds.add(f.type()));
        return kinds;
    }

    private static String names(Set<PiiType> kinds) {
        return String.join(", ", kinds.stream().map(Enum::name).toList());
    }
}
