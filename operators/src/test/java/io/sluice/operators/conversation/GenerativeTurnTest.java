package io.sluice.operators.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.model.chat.ChatMessage;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.operators.cache.ResponseCache;
import io.sluice.schemas.CacheUse;
import io.sluice.schemas.RoutingDecision;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** What each model of a generative turn is asked, and what the turn's answer becomes, without Flink. */
class GenerativeTurnTest {

    private static final GenerationParams PARAMS = new GenerationParams(0.7, 0.9, 64, 0, List.of());
    private static final ResponseCache.Cached CACHED = new ResponseCache.Cached(
            "Savepoints restore the keyed state [1].", "model@1", "stop", 3, "acme/c0@chat.requests-0-7");

    private static TurnFixture fixture;

    @BeforeAll
    static void open() {
        fixture = new TurnFixture();
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    private static GenerativeTurn turn(String cacheKey) {
        return new GenerativeTurn(fixture.prepared(RoutingDecision.requested("gen")), null, cacheKey, 1_000_000L);
    }

    private static String texts(List<StreamedText.Piece> pieces) {
        return pieces.stream().map(StreamedText.Piece::text).collect(Collectors.joining());
    }

    private static List<Integer> sequences(List<StreamedText.Piece> pieces) {
        return pieces.stream().map(StreamedText.Piece::sequence).toList();
    }

    /** Feeds {@code parts} to the turn's current model and keeps the pieces it emits. */
    private static void say(GenerativeTurn turn, List<StreamedText.Piece> emitted, String... parts) {
        for (String part : parts) {
            StreamedText.Piece piece = turn.accept(part);
            if (piece != null) {
                emitted.add(piece);
            }
        }
    }

    @Test
    void aProfileThatTakesOverContinuesTheAnswerUnderAJournalKeyOfItsOwn() {
        GenerativeTurn turn = turn("key-1");
        String position = turn.request().position();
        assertThat(turn.asksCache()).isTrue();

        turn.attemptStarts(10);
        GenerationRequest first = turn.prompt(PARAMS);
        assertThat(first.journalKey()).isEqualTo(position);
        assertThat(first.continues()).isFalse();
        List<StreamedText.Piece> emitted = new ArrayList<>();
        say(turn, emitted, "Savepoints ", "restore ");

        turn.failOver(RoutingDecision.requested("fallback"));
        turn.attemptStarts(20);
        GenerationRequest second = turn.prompt(PARAMS);
        assertThat(turn.attempt()).isEqualTo(2);
        assertThat(turn.profile()).isEqualTo("fallback");
        // The answer a second model finishes belongs to no cache key: it neither asks nor shares.
        assertThat(turn.asksCache()).isFalse();
        assertThat(second.journalKey()).isEqualTo(position + "#2");
        assertThat(second.continues()).isTrue();
        assertThat(second.messages().get(second.messages().size() - 1))
                .isEqualTo(ChatMessage.assistant("Savepoints restore "));
        say(turn, emitted, "the keyed ", "state [1].");
        assertThat(turn.currentPieces()).isEqualTo(2);

        GenerativeTurn.Ending end = turn.end(new Generation("the keyed state [1].", 40, 5, "stop", "fallback@2"));
        if (end.rest() != null) {
            emitted.add(end.rest());
        }
        assertThat(end.answer().text()).isEqualTo("Savepoints restore the keyed state [1].");
        assertThat(end.answer().promptTokens()).isEqualTo(40);
        assertThat(end.answer().completionTokens()).isEqualTo(5);
        assertThat(end.answer().modelVersion()).isEqualTo("fallback@2");
        assertThat(end.turn().routing().profile()).isEqualTo("fallback");
        assertThat(end.turn().cache()).isEqualTo(CacheUse.miss("key-1"));
        // What the client saw: the whole answer, numbered without a gap across the two models.
        assertThat(texts(emitted)).isEqualTo(end.answer().text());
        assertThat(sequences(emitted)).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, emitted.size()).boxed().toList());
        assertThat(turn.emittedPieces()).isEqualTo(emitted.size());
        assertThat(turn.micros(1_000_000L + 7_000_000L)).isEqualTo(7_000);
    }

    @Test
    void aFailedTurnFlushesNothingAndRecordsNoAnswer() {
        GenerativeTurn turn = turn(null);
        assertThat(turn.asksCache()).isFalse();
        turn.prompt(PARAMS);
        turn.accept("Savepoints [");

        GenerativeTurn.Ending end = turn.end(null);

        assertThat(end.answer()).isNull();
        assertThat(end.rest()).isNull();
        assertThat(end.turn().cache()).isNull(); // an answer that is not cached records no use of the cache
        assertThat(turn.said()).isEqualTo("Savepoints [");
    }

    @Test
    void aCachedAnswerStreamsInItsFirstPiecesCostsNoTokensAndIsRecordedAsAHit() {
        GenerativeTurn turn = turn("key-1");
        turn.prompt(PARAMS);
        List<String> tokens = new ArrayList<>();

        Generation generation = turn.answerFromCache(CACHED, tokens::add);

        assertThat(tokens).hasSize(CACHED.pieces());
        assertThat(String.join("", tokens)).isEqualTo(CACHED.text());
        assertThat(generation.promptTokens()).isZero();
        assertThat(generation.completionTokens()).isZero();
        assertThat(generation.finishReason()).isEqualTo("stop");
        assertThat(generation.modelVersion()).isEqualTo("model@1");
        assertThat(turn.cacheHit()).isEqualTo(CACHED);
        GenerativeTurn.Ending end = turn.end(generation);
        assertThat(end.turn().cache()).isEqualTo(new CacheUse("key-1", true, CACHED.from()));
        assertThat(end.answer().text()).isEqualTo(CACHED.text());
    }

    @Test
    void aTurnThatWaitedForTheSameKeyStreamsTheOthersAnswerAsItsOwn() {
        GenerativeTurn waited = turn("key-1");
        List<StreamedText.Piece> emitted = new ArrayList<>();

        Generation generation = waited.reuse(CACHED, emitted::add);
        GenerativeTurn.Ending end = waited.end(generation);
        if (end.rest() != null) {
            emitted.add(end.rest());
        }

        assertThat(texts(emitted)).isEqualTo(CACHED.text());
        assertThat(emitted.get(0).sequence()).isZero();
        assertThat(waited.currentPieces()).isEqualTo(CACHED.pieces());
        assertThat(generation.completionTokens()).isZero();
        assertThat(end.turn().cache()).isEqualTo(new CacheUse("key-1", true, CACHED.from()));
        assertThat(end.answer().text()).isEqualTo(CACHED.text());
    }
}
