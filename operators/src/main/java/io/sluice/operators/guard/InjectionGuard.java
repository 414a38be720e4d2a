package io.sluice.operators.guard;

import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.Injection;
import io.sluice.schemas.LruMap;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.tenants.InjectionPolicy;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A tenant's prompt-injection policy applied to a turn: what its message and brought turns hold
 * ({@link #families}; validation refuses on it under {@link InjectionPolicy#REJECT}), and which
 * retrieved sources are flagged and, unless the policy only flags, left out of the context
 * ({@link #screen}). Plain and deterministic, so replay flags and strips what the live run did;
 * thread-safe.
 *
 * <p>The same texts come back turn after turn (a conversation's earlier turns, the sources popular
 * questions retrieve), so verdicts are remembered by text: a bounded LRU of {@value #REMEMBERED}
 * texts of up to {@value #REMEMBERED_MAX_CHARS} characters. The scan is a pure function of the
 * text, so a remembered verdict is the one a scan would give.
 */
public final class InjectionGuard {

    /** The sources that go on to the context, and what was flagged. */
    public record Screened(List<RetrievedChunk> sources, Injection injection) {}

    /** Texts whose verdicts are remembered. */
    static final int REMEMBERED = 2048;
    /** Longer texts are scanned every time: the memory stays under REMEMBERED x 8 KB. */
    static final int REMEMBERED_MAX_CHARS = 4096;

    private final InjectionDetector detector;
    private final Map<String, InjectionDetector.Verdict> verdicts = new LruMap<>(REMEMBERED);

    public InjectionGuard(InjectionDetector detector) {
        this.detector = detector;
    }

    /** How many texts' verdicts are remembered now. */
    int remembered() {
        synchronized (verdicts) {
            return verdicts.size();
        }
    }

    private InjectionDetector.Verdict scan(String text) {
        if (text == null || text.length() > REMEMBERED_MAX_CHARS) {
            return detector.scan(text);
        }
        synchronized (verdicts) {
            InjectionDetector.Verdict known = verdicts.get(text);
            if (known != null) {
                return known;
            }
        }
        // Scanned outside the lock: two threads may both scan a new text, and both get its verdict.
        InjectionDetector.Verdict verdict = detector.scan(text);
        synchronized (verdicts) {
            verdicts.put(text, verdict);
        }
        return verdict;
    }

    /**
     * The attack families found in {@code message} and the questions and answers of the turns a
     * request brings ({@code history}; null: none), in {@link InjectionFamily} order; empty: clean.
     */
    public List<String> families(String message, ConversationHistory history) {
        Set<InjectionFamily> found = EnumSet.noneOf(InjectionFamily.class);
        found.addAll(scan(message).families());
        if (history != null) {
            for (ConversationTurn t : history.turns()) {
                found.addAll(scan(t.question()).families());
                found.addAll(scan(t.answer()).families());
            }
        }
        return found.stream().map(Enum::name).toList();
    }

    /**
     * The turn screened under {@code policy}: every retrieved source scanned, flagged ones left out
     * unless the policy only flags, and the message's families (as {@link #families}) recorded.
     */
    public Screened screen(InjectionPolicy policy, String message, ConversationHistory history,
            List<RetrievedChunk> retrieved) {
        List<RetrievedChunk> kept = new ArrayList<>(retrieved.size());
        List<Injection.FlaggedSource> flagged = new ArrayList<>();
        for (RetrievedChunk c : retrieved) {
            // The title is part of what the model reads, so it is scanned with the text.
            InjectionDetector.Verdict v = scan(c.displayTitle() + "\n" + c.text());
            if (v.flagged()) {
                flagged.add(new Injection.FlaggedSource(c.chunkId(), v.names()));
                if (policy.strips()) {
                    continue;
                }
            }
            kept.add(c);
        }
        // Nothing flagged equals Injection.NONE: the record drops "stripped" when no source was.
        return new Screened(List.copyOf(kept), new Injection(families(message, history), flagged, policy.strips()));
    }
}
