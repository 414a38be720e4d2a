package io.sluice.operators.conversation;

import io.sluice.operators.answer.CitationFilter;
import io.sluice.operators.guard.AnswerRedactor;

/**
 * One generative answer as it streams, across every model that produces part of it. Each piece a
 * model sends is kept as it was (what a model that takes over continues from) and passed on as the
 * client sees it: markers naming no source removed, then personal data replaced (held back while a
 * marker or a detection may still be unfinished), numbered gaplessly across models by
 * {@link StreamedText}. A model that fails mid-answer leaves the filters' held-back text where it
 * is, so the next model's pieces continue it; only the end of the answer flushes them.
 *
 * <p>Pieces arrive on the model's thread; the rest is called on the task thread after the model's
 * future completed, which orders it after every piece. Methods are synchronized all the same.
 */
public final class AnswerStream {

    private final StreamedText streamed;
    private final CitationFilter markers;
    private final AnswerRedactor redactor;
    private final StringBuilder said = new StringBuilder();
    private int attemptPieces;
    private int attemptStart;

    /**
     * @param sources how many sources the context numbered (markers above it name none)
     * @param redactor the turn's answer redactor; null when its tenant's answers keep personal data
     * @param maxChars the answer bound
     */
    public AnswerStream(int sources, AnswerRedactor redactor, int maxChars) {
        this.streamed = new StreamedText(maxChars);
        this.markers = new CitationFilter(sources);
        this.redactor = redactor;
    }

    /** A piece the current model sent: the piece to emit for it, or null while text is held back. */
    public synchronized StreamedText.Piece accept(String piece) {
        attemptPieces++;
        said.append(piece);
        String kept = markers.accept(piece);
        return emit(redactor == null ? kept : redactor.accept(kept));
    }

    /** The end of the answer: a piece of the text still held back, or null if there is none. */
    public synchronized StreamedText.Piece finish() {
        String rest = markers.finish();
        return emit(redactor == null ? rest : redactor.accept(rest) + redactor.finish());
    }

    private StreamedText.Piece emit(String text) {
        return text.isEmpty() ? null : streamed.accept(text);
    }

    /** Another model takes over: pieces are counted for it from here. */
    public synchronized void nextModel() {
        attemptPieces = 0;
        attemptStart = said.length();
    }

    /** Everything the models said so far, as they said it: the answer's start for the next model. */
    public synchronized String said() {
        return said.toString();
    }

    /** What the current model said so far. */
    public synchronized String saidByCurrent() {
        return said.substring(attemptStart);
    }

    /** Pieces the current model sent. */
    public synchronized int currentPieces() {
        return attemptPieces;
    }

    /** Pieces emitted to the client so far. */
    public synchronized int emittedPieces() {
        return streamed.pieces();
    }
}
