package io.sluice.operators.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationParams;
import io.sluice.operators.answer.GenerativePrompt;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.RoutingDecision;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

/** What a generative model's answer becomes, and what a failed profile leaves behind, without Flink. */
class TurnProcessorTest {

    private static final GenerationParams PARAMS = new GenerationParams(0.7, 0.9, 64, 0, List.of());

    private static TurnFixture fixture;
    private static TurnProcessor processor;

    @BeforeAll
    static void open() {
        fixture = new TurnFixture();
        processor = fixture.processor;
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    private static TurnProcessor.PreparedTurn prepared(RoutingDecision routing) {
        return fixture.prepared(routing);
    }

    @Test
    void aGeneratedAnswerKeepsTheMarkersOfItsSourcesAndRecordsTheCall() {
        TurnProcessor.PreparedTurn turn = prepared(RoutingDecision.requested("gen"));
        AnsweredTurn answered = processor.complete(turn, "gen:model", new Generation(
                "Savepoints restore state [1] and more [7].", 40, 9, "stop", "model@2"), PARAMS, 3, 1500);
        assertThat(answered.answer()).isEqualTo("Savepoints restore state [1] and more .");
        assertThat(answered.citations()).singleElement().satisfies(c -> assertThat(c.chunkId()).isEqualTo("doc#0"));
        assertThat(answered.grounding().droppedMarkers()).isEqualTo(1);
        assertThat(answered.call().modelVersion()).isEqualTo("model@2; prompt v" + GenerativePrompt.VERSION);
        assertThat(answered.call().finishReason()).isEqualTo("stop");
        assertThat(answered.call().completionTokens()).isEqualTo(9);
        assertThat(answered.call().pieces()).isEqualTo(3);
        assertThat(answered.timings().answerMicros()).isEqualTo(1500);
    }

    @Test
    void aGeneratedAnswerPastTheBoundIsCutAndEndsForLength() {
        String endless = "word ".repeat(Bounds.MAX_ANSWER_CHARS);
        AnsweredTurn answered = processor.complete(prepared(RoutingDecision.requested("gen")), "gen:model",
                new Generation(endless, 40, 9_000, "stop", "model@2"), PARAMS, 1, 1);
        assertThat(answered.answer().length()).isLessThanOrEqualTo(Bounds.MAX_ANSWER_CHARS);
        assertThat(answered.call().finishReason()).isEqualTo("length");
    }

    @Test
    void aFailedProfileOwnsTheCharactersItAddedAfterEarlierFailovers() {
        TurnProcessor.PreparedTurn first = prepared(RoutingDecision.requested("a"));
        RoutingDecision.Failover a = processor.failover(first, "a", "a:model", "Savepoints ", 2);
        assertThat(a).isEqualTo(new RoutingDecision.Failover("a", "a:model", 2, "Savepoints".length()));
        TurnProcessor.PreparedTurn second = first.withRouting(first.routing().failedOver(a, "b", 1, List.of()));
        RoutingDecision.Failover b = processor.failover(second, "b", "b:model", "Savepoints restore state", 1);
        assertThat(b.chars()).isEqualTo(" restore state".length());
        assertThat(TurnProcessor.modelFailure(second, "b", new IllegalStateException("connection reset")))
                .isEqualTo("answer model 'b' failed (after failing over from a): connection reset");
    }
}
