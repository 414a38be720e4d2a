package io.sluice.operators.conversation;

import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.model.chat.TokenListener;
import io.sluice.operators.answer.GenerativePrompt;
import io.sluice.operators.cache.ResponseCache;
import io.sluice.operators.conversation.TurnProcessor.PreparedTurn;
import io.sluice.operators.guard.AnswerRedactor;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.CacheUse;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RoutingDecision;

import java.util.function.Consumer;

/**
 * One generative turn while models answer it: the prepared turn (whose routing names the profile
 * answering now), its answer as it streams across models ({@link AnswerStream}), which attempt this
 * is, and what the response cache gave it. This class decides what each model is asked and what
 * the turn's answer becomes; the conversation operator makes the calls and keeps the state.
 *
 * <p><b>Attempts.</b> The first attempt asks the turn's profile, and, for a turn whose answer is
 * cached, asks the cache first. When a backend fails, another profile takes over
 * ({@link #failOver}). If text was already sent, the new profile's prompt ends with the answer so
 * far as the assistant's message, and the answer is what every model said, in order. Each attempt's
 * call is journaled under a key of its own (the request's position, then {@code position#n}), so a
 * replay hands each attempt its own text.
 *
 * <p><b>Threads.</b> Pieces arrive on the model's thread ({@link #accept}); the rest runs on the
 * task thread after the model's future completed, which orders it after every piece.
 */
public final class GenerativeTurn {

    /**
     * How the turn ended.
     *
     * @param turn the turn, with the response cache's use recorded when its answer is cached
     * @param rest the piece of text the stream still held back; null if none (or the turn failed)
     * @param answer the answer: what earlier models said, then the last one's text; null if it failed
     */
    public record Ending(PreparedTurn turn, StreamedText.Piece rest, Generation answer) {}

    private PreparedTurn turn;
    private final AnswerStream stream;
    private final String cacheKey;
    private final long startNanos;
    private int attempt = 1;
    private long attemptStartMicros;
    /** Set on the thread that completes the cache lookup, read on the task thread after it. */
    private volatile ResponseCache.Cached cacheHit;

    /**
     * @param turn the prepared turn, routed to the profile that answers it first
     * @param redactor the turn's answer redactor; null when its tenant's answers keep personal data
     * @param cacheKey the response cache key of its answer; null when the answer is not cached
     * @param startNanos when it started, on the {@link System#nanoTime()} clock
     */
    public GenerativeTurn(PreparedTurn turn, AnswerRedactor redactor, String cacheKey, long startNanos) {
        this.turn = turn;
        this.stream = new AnswerStream(turn.context().sources().size(), redactor, Bounds.MAX_ANSWER_CHARS);
        this.cacheKey = cacheKey;
        this.startNanos = startNanos;
    }

    public PreparedTurn turn() {
        return turn;
    }

    public ChatRequest request() {
        return turn.retrieved().request();
    }

    /** The profile answering now. */
    public String profile() {
        return turn.routing().profile();
    }

    /** 1 for the first model asked, one more for each that took over. */
    public int attempt() {
        return attempt;
    }

    /** The response cache key of the turn's answer; null when it is not cached. */
    public String cacheKey() {
        return cacheKey;
    }

    /**
     * Whether this attempt asks the response cache before the model, and shares its answer with the
     * turns that ask for the same key meanwhile: only the first attempt of a cached turn. An answer
     * a second model finished belongs to no key.
     */
    public boolean asksCache() {
        return attempt == 1 && cacheKey != null;
    }

    /** The cached answer the turn was given, or null. */
    public ResponseCache.Cached cacheHit() {
        return cacheHit;
    }

    /** When the current attempt started (epoch micros), for its span. */
    public long attemptStartMicros() {
        return attemptStartMicros;
    }

    /**
     * The current attempt starts at {@code nowMicros} (epoch): its model call, or, for a turn that
     * waits for another turn's answer to the same cache key, that wait.
     */
    public void attemptStarts(long nowMicros) {
        attemptStartMicros = nowMicros;
    }

    /** What the current attempt asks its model with {@code params}. From here the pieces count as this model's. */
    public GenerationRequest prompt(GenerationParams params) {
        String position = request().position();
        String key = attempt == 1 ? position : position + "#" + attempt;
        GenerationRequest prompt = GenerativePrompt.request(turn.context(), params, key);
        String said = stream.said();
        if (!said.isEmpty()) {
            prompt = prompt.continuing(said, key);
        }
        stream.nextModel();
        return prompt;
    }

    /** A piece the current model sent: the piece to emit for it, or null while text is held back. */
    public StreamedText.Piece accept(String text) {
        return stream.accept(text);
    }

    /**
     * The turn is answered from the response cache instead of by its model: the cached text goes to
     * {@code listener} in as many pieces as it was first streamed in. Returns the generation it
     * stands for. No tokens were spent, so the turn costs nothing and settles its whole reservation.
     */
    public Generation answerFromCache(ResponseCache.Cached cached, TokenListener listener) {
        cacheHit = cached;
        StreamedText.split(cached.text(), cached.pieces()).forEach(listener::onToken);
        return new Generation(cached.text(), 0, 0, cached.finishReason(), cached.modelVersion());
    }

    /**
     * The turn waited while another turn computed the answer of the same cache key, and gets
     * {@code answer}: its pieces go to {@code emit} as this turn's stream makes them, and this
     * returns the generation it stands for, as {@link #answerFromCache} does.
     */
    public Generation reuse(ResponseCache.Cached answer, Consumer<StreamedText.Piece> emit) {
        stream.nextModel();
        return answerFromCache(answer, text -> {
            StreamedText.Piece piece = stream.accept(text);
            if (piece != null) {
                emit.accept(piece);
            }
        });
    }

    /** After the current profile's backend failed, {@code next}'s profile takes the turn over. */
    public void failOver(RoutingDecision next) {
        turn = turn.withRouting(next);
        attempt++;
    }

    /** Everything the models said so far, as they said it. */
    public String said() {
        return stream.said();
    }

    /** Pieces the current model sent. */
    public int currentPieces() {
        return stream.currentPieces();
    }

    /** Pieces sent to the client so far. */
    public int emittedPieces() {
        return stream.emittedPieces();
    }

    /** Microseconds since the turn started, at {@code nowNanos}. */
    public long micros(long nowNanos) {
        return (nowNanos - startNanos) / 1000;
    }

    /**
     * The turn ends with the last model's {@code result}, or null when that model failed: the
     * cache's use is recorded, the stream's held-back text flushed, and the answer put together.
     */
    public Ending end(Generation result) {
        if (cacheKey != null) {
            ResponseCache.Cached hit = cacheHit;
            turn = turn.withCache(hit == null ? CacheUse.miss(cacheKey) : new CacheUse(cacheKey, true, hit.from()));
        }
        if (result == null) {
            return new Ending(turn, null, null);
        }
        StreamedText.Piece rest = stream.finish();
        String said = stream.said();
        String before = said.substring(0, said.length() - stream.saidByCurrent().length());
        Generation answer = before.isEmpty() ? result : new Generation(before + result.text(), result.promptTokens(),
                result.completionTokens(), result.finishReason(), result.modelVersion());
        return new Ending(turn, rest, answer);
    }
}
