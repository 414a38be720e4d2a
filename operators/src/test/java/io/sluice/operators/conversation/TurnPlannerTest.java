package io.sluice.operators.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.model.chat.GenerationParams;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.ModelProfile;
import io.sluice.operators.routing.DegradationLadder;
import io.sluice.operators.answer.RouteRule;
import io.sluice.operators.answer.UnopenedSpec;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.RoutingDecision;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

class TurnPlannerTest {

    private static ModelProfile profile(String name, String... fallbacks) {
        return new ModelProfile(name, 1, new UnopenedSpec(name, false), null, 0, null, null, List.of(), List.of(fallbacks));
    }

    /** "auto" routes to large, which falls back to small, then to the extractive answerer; solo has no fallback. */
    private static final AnswerModels MODELS = new AnswerModels(AnswerModels.EXTRACTIVE, Map.of(),
            new GenerationParams(0, 1, 64, 0, List.of())).withPolicy(1, List.of(
                    profile("large", "small"), profile("small", AnswerModels.EXTRACTIVE), profile("solo")),
            Map.of("auto", List.of(new RouteRule("default", List.of(), List.of(), 0, 0, List.of("large")))));

    private static ChatRequest request(String model, long offset) {
        return new ChatRequest("r" + offset, "acme", "c1", "How do savepoints work?", 5, 1024, 1_000L, 0, offset,
                model);
    }

    private static TurnPlanner planner(GenerationSlots slots, DegradationLadder ladder) {
        return new TurnPlanner(slots, ladder, null, null);
    }

    @Test
    void aTurnStartsOnItsProfilesBackendWhileItHasASlotAndWaitsWhenItHasNone() {
        GenerationSlots slots = new GenerationSlots(1, List.of());
        TurnPlanner planner = planner(slots, DegradationLadder.OFF);
        TurnPlanner.Plan plan = planner.plan(MODELS, request("auto", 1), 0, p -> false);
        assertThat(plan).isInstanceOf(TurnPlanner.Generate.class);
        assertThat(((TurnPlanner.Generate) plan).backend()).isEqualTo("large");
        assertThat(((TurnPlanner.Generate) plan).routing().profile()).isEqualTo("large");
        assertThat(slots.running()).as("a plan changes no slot").isZero();

        slots.started("large");
        assertThat(planner.plan(MODELS, request("auto", 2), 0, p -> false))
                .isEqualTo(new TurnPlanner.Parked("large", 0));
        assertThat(planner.plan(MODELS, request(AnswerModels.EXTRACTIVE, 3), 0, p -> false))
                .as("the local answerer needs no slot").isInstanceOf(TurnPlanner.Local.class);
    }

    @Test
    void anOverloadedBackendRefusesWhenServingButMakesReplayWait() {
        GenerationSlots slots = new GenerationSlots(1, List.of());
        slots.started("large");
        for (int i = 0; i < GenerationSlots.PARKED_PER_SLOT; i++) {
            slots.park("large", 0, "acme|c" + i, i);
        }
        TurnPlanner.Plan plan = planner(slots, DegradationLadder.OFF).plan(MODELS, request("auto", 1), 0, p -> false);
        assertThat(plan).isEqualTo(new TurnPlanner.Refused(RejectReason.OVERLOADED, "the backend of answer model "
                + "'large' has 1 generations running and 16 turns waiting; try again shortly", false));
        assertThat(new TurnPlanner(slots, DegradationLadder.OFF, Map.of(), null)
                .plan(MODELS, request("auto", 1), 0, p -> false)).isEqualTo(new TurnPlanner.Parked("large", 0));
    }

    @Test
    void unknownModelsAndChainsWithEveryBreakerOpenAreRefusedWithTheReason() {
        TurnPlanner planner = planner(new GenerationSlots(1, List.of()), DegradationLadder.OFF);
        TurnPlanner.Refused gone = (TurnPlanner.Refused) planner.plan(MODELS, request("retired", 1), 0, p -> false);
        assertThat(gone.reason()).isEqualTo(RejectReason.MODEL_FAILED);
        assertThat(gone.detail()).contains("'retired' is not configured in this job any more");
        TurnPlanner.Refused none = (TurnPlanner.Refused) planner.plan(MODELS, request("solo", 2), 0, p -> true);
        assertThat(none.reason()).isEqualTo(RejectReason.NO_MODEL_AVAILABLE);
        assertThat(none.detail()).startsWith("no profile could answer 'solo'").contains("solo");
        assertThat(none.byLadder()).isFalse();
        assertThat(planner.plan(MODELS, request("auto", 3), 0, "large"::equals))
                .as("an open breaker passes large over to its fallback").isEqualTo(new TurnPlanner.Generate(
                        planner.route(MODELS, request("auto", 3), "large"::equals), "small"));
    }

    @Test
    void theLadderStepsABusyBackendsTurnToACheaperProfileAndRefusesAtItsLastStep() {
        GenerationSlots slots = new GenerationSlots(4, List.of());
        slots.started("large");
        TurnPlanner.Plan cheaper = planner(slots, new DegradationLadder(0, 0, 1, 0))
                .plan(MODELS, request("auto", 1), 0, p -> false);
        RoutingDecision routing = ((TurnPlanner.Generate) cheaper).routing();
        assertThat(routing.profile()).isEqualTo("small");
        assertThat(routing.degradation()).isEqualTo(new RoutingDecision.Degradation("CHEAPER_PROFILE", 1, 0));
        assertThat(((TurnPlanner.Generate) cheaper).backend()).isEqualTo("small");

        TurnPlanner.Refused refused = (TurnPlanner.Refused) planner(slots, new DegradationLadder(0, 0, 0, 1))
                .plan(MODELS, request("auto", 2), 0, p -> false);
        assertThat(refused.reason()).isEqualTo(RejectReason.OVERLOADED);
        assertThat(refused.byLadder()).isTrue();
        assertThat(refused.detail()).contains("'large' has 1 generations running or waiting");
    }

    @Test
    void aTurnThatWaitedPastTheQueueingDelayBudgetGoesToACheaperProfile() {
        TurnPlanner planner = planner(new GenerationSlots(1, List.of()),
                DegradationLadder.OFF.withQueueDelay(Duration.ofMillis(200)));
        RoutingDecision waited = ((TurnPlanner.Generate) planner.plan(MODELS, request("auto", 1), 250, p -> false))
                .routing();
        assertThat(waited.profile()).isEqualTo("small");
        assertThat(waited.degradation().waitedMs()).isEqualTo(250);
        assertThat(((TurnPlanner.Generate) planner.plan(MODELS, request("auto", 2), 0, p -> false)).routing()
                .degradation()).as("a turn that did not wait is not stepped").isNull();
        assertThat(planner.hasCheaper(MODELS, request("auto", 3), p -> false)).isTrue();
        assertThat(planner.hasCheaper(MODELS, request("solo", 4), p -> false)).isFalse();
    }

    @Test
    void replayStepsEachTurnByItsJournaledLoadNotByTheSlotsItFinds() {
        GenerationSlots slots = new GenerationSlots(4, List.of());
        slots.started("large");
        slots.started("large");
        ChatRequest journaled = request("auto", 7);
        TurnPlanner replay = new TurnPlanner(slots, new DegradationLadder(0, 0, 2, 0),
                Map.of(journaled.position(), new RoutingDecision.Degradation("CHEAPER_PROFILE", 3, 40)), null);
        RoutingDecision stepped = ((TurnPlanner.Generate) replay.plan(MODELS, journaled, 0, p -> false)).routing();
        assertThat(stepped.profile()).isEqualTo("small");
        assertThat(stepped.degradation()).isEqualTo(new RoutingDecision.Degradation("CHEAPER_PROFILE", 3, 40));
        RoutingDecision live = ((TurnPlanner.Generate) replay.plan(MODELS, request("auto", 8), 0, p -> false))
                .routing();
        assertThat(live.profile()).as("not journaled: it was not stepped live, whatever runs now").isEqualTo("large");
        assertThat(live.degradation()).isNull();
    }
}
