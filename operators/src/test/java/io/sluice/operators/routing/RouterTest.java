package io.sluice.operators.routing;

import io.sluice.model.chat.GenerationParams;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.ModelProfile;
import io.sluice.operators.answer.RouteRule;
import io.sluice.operators.answer.UnopenedSpec;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RoutingDecision;
import io.sluice.schemas.RoutingDecision.Skip;
import io.sluice.schemas.tenants.Tenant;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RouterTest {

    private static final GenerationParams SAMPLING = new GenerationParams(0, 1, 64, 0, List.of());

    private static ModelProfile profile(String name, int version, boolean remote, int window, String residency,
            String... fallbacks) {
        return new ModelProfile(name, version, new UnopenedSpec(name, remote), null, window, null, residency, List.of(),
                List.of(fallbacks));
    }

    /** large (remote, eu) → small (in-process, 512 tokens) → extractive; us-large (remote, us). */
    private static AnswerModels models() {
        return new AnswerModels(AnswerModels.EXTRACTIVE, Map.of(), SAMPLING).withPolicy(7, List.of(
                        profile("large", 3, true, 8192, "eu", "small", "extractive"),
                        profile("small", 2, false, 512, null, "extractive"),
                        profile("us-large", 1, true, 8192, "us", "extractive")),
                Map.of("auto", List.of(
                        new RouteRule("gold-analysis", List.of("gold"), List.of("analysis", "code"), 0, 0,
                                List.of("large")),
                        new RouteRule("greetings", List.of(), List.of("greeting"), 0, 0, List.of("extractive")),
                        new RouteRule("long", List.of(), List.of(), 300, 0, List.of("us-large")),
                        new RouteRule("default", List.of(), List.of(), 0, 0, List.of("small")))));
    }

    private static ChatRequest request(String model, String message, int contextTokens) {
        return new ChatRequest("r1", "acme", "c1", message, 5, contextTokens, 1_000L, 0, 42L, model);
    }

    private final Router router = new Router();
    private static final Tenant GOLD_EU = Tenant.withDefaults("acme").withPlacement("gold", "eu");

    @Test
    void theFirstMatchingRuleChoosesAndEverySkipIsRecorded() {
        RoutingDecision d = router.route(models(), request("auto", "Why is the sky blue?", 1024), GOLD_EU,
                p -> false);
        assertThat(d).isEqualTo(new RoutingDecision(7, "gold-analysis", "analysis", "large", 3, List.of()));

        // The same turn for a tenant of another tier falls through to the default rule; 1024 context
        // tokens + 64 answer + 256 overhead do not fit small's 512, so extractive answers.
        RoutingDecision standard = router.route(models(), request("auto", "Why is the sky blue?", 1024),
                Tenant.withDefaults("acme"), p -> false);
        assertThat(standard).isEqualTo(new RoutingDecision(7, "default", "analysis", "extractive", 0,
                List.of(new Skip("small", Skip.CONTEXT_WINDOW))));
    }

    @Test
    void rulesRouteByPriorityAndByTheBudgetTheTenantHasLeft() {
        AnswerModels models = new AnswerModels(AnswerModels.EXTRACTIVE, Map.of(), SAMPLING).withPolicy(2, List.of(
                        profile("large", 1, false, 8192, null, "extractive"),
                        profile("small", 1, false, 8192, null, "extractive")),
                Map.of("auto", List.of(
                        new RouteRule("bulk", List.of(), List.of(), 0, 0, List.of("small"),
                                List.of(ChatRequest.BULK), -1),
                        new RouteRule("saver", List.of(), List.of(), 0, 0, List.of("small"), List.of(), 20),
                        new RouteRule("default", List.of(), List.of(), 0, 0, List.of("large")))));
        ChatRequest interactive = request("auto", "Explain snapshots", 100);
        ChatRequest bulk = new ChatRequest("r2", "acme", "c1", "Explain snapshots", 5, 100, 1_000L, 0, 43L, "auto", -1,
                null, null, null, ChatRequest.BULK, -1);
        assertThat(router.route(models, interactive, null, p -> false).rule())
                .as("no budget: a bound on the budget left never matches").isEqualTo("default");
        assertThat(router.route(models, interactive.withBudgetLeft(21), null, p -> false).rule()).isEqualTo("default");
        assertThat(router.route(models, interactive.withBudgetLeft(20), null, p -> false).rule()).isEqualTo("saver");
        assertThat(router.route(models, interactive.withBudgetLeft(0), null, p -> false).profile()).isEqualTo("small");
        assertThat(router.route(models, bulk, null, p -> false).rule()).isEqualTo("bulk");
        assertThat(router.route(models, bulk.withBudgetLeft(90), null, p -> false).profile()).isEqualTo("small");
    }

    @Test
    void anOpenBreakerSkipsToTheFallbacksInOrder() {
        RoutingDecision d = router.route(models(), request("auto", "Explain snapshots", 1024), GOLD_EU,
                Set.of("large")::contains);
        assertThat(d.profile()).isEqualTo(AnswerModels.EXTRACTIVE);
        assertThat(d.skipped()).containsExactly(new Skip("large", Skip.BREAKER_OPEN),
                new Skip("small", Skip.CONTEXT_WINDOW));
        assertThat(d.dependedOnHealth()).isTrue();
    }

    @Test
    void residencyKeepsATenantOffRemoteProfilesOfOtherRegions() {
        String longMessage = "Tell me about the index. ".repeat(14); // a lookup past 300 characters
        RoutingDecision d = router.route(models(), request("auto", longMessage, 10), GOLD_EU, p -> false);
        assertThat(d.rule()).isEqualTo("long");
        assertThat(d.intent()).isEqualTo(IntentClassifier.LOOKUP);
        assertThat(d.profile()).isEqualTo(AnswerModels.EXTRACTIVE);
        assertThat(d.skipped()).containsExactly(new Skip("us-large", Skip.RESIDENCY));
        // Without residency the same turn goes to us-large.
        assertThat(router.route(models(), request("auto", longMessage, 10), Tenant.withDefaults("acme"), p -> false)
                .profile()).isEqualTo("us-large");
    }

    @Test
    void aNamedProfileIsRequestedAndStillFallsBack() {
        RoutingDecision d = router.route(models(), request("large", "hello", 100), null, Set.of("large")::contains);
        assertThat(d.rule()).isEqualTo(RoutingDecision.REQUESTED);
        assertThat(d.intent()).isEqualTo(IntentClassifier.GREETING);
        assertThat(d.profile()).isEqualTo("small");
        assertThat(d.profileVersion()).isEqualTo(2);
    }

    @Test
    void whenEveryCandidateIsPassedOverNoProfileIsChosen() {
        AnswerModels alone = new AnswerModels(AnswerModels.EXTRACTIVE, Map.of("remote", new UnopenedSpec("remote", true)),
                SAMPLING);
        RoutingDecision d = router.route(alone, request("remote", "hi", 100), null, p -> true);
        assertThat(d.profile()).isNull();
        assertThat(d.skipped()).containsExactly(new Skip("remote", Skip.BREAKER_OPEN));
        // Without a policy, a turn answered as requested says nothing more than its answer model.
        RoutingDecision healthy = router.route(alone, request("remote", "hi", 100), null, p -> false);
        assertThat(healthy).isEqualTo(RoutingDecision.requested("remote"));
        assertThat(healthy.trivial()).isTrue();
    }

    @Test
    void theSameTurnRoutesTheSameWay() {
        ChatRequest r = request("auto", "Compare the two snapshots", 100);
        assertThat(router.route(models(), r, GOLD_EU, p -> false)).isEqualTo(router.route(models(), r, GOLD_EU,
                p -> false));
    }

    @Test
    void policiesThatCannotRouteEveryTurnAreRefused() {
        AnswerModels base = new AnswerModels(AnswerModels.EXTRACTIVE, Map.of(), SAMPLING);
        assertThatThrownBy(() -> base.withPolicy(1, List.of(), Map.of("auto", List.of(
                new RouteRule("gold", List.of("gold"), List.of(), 0, 0, List.of("extractive"))))))
                .hasMessageContaining("must end with a rule without conditions");
        assertThatThrownBy(() -> base.withPolicy(1, List.of(profile("a", 1, false, 0, null, "missing")), Map.of()))
                .hasMessageContaining("names 'missing', which is not a profile");
        assertThatThrownBy(() -> base.withPolicy(1, List.of(profile("eu", 1, true, 0, "eu", "us"),
                profile("us", 1, true, 0, "us")), Map.of()))
                .hasMessageContaining("may not stand in for eu");
        assertThatThrownBy(() -> base.withPolicy(1, List.of(profile("extractive", 1, false, 0, null)), Map.of()))
                .hasMessageContaining("defined twice");
    }

    @Test
    void routesReserveForTheLargestAnswerTheyMayGive() {
        AnswerModels m = new AnswerModels(AnswerModels.EXTRACTIVE, Map.of(), SAMPLING).withPolicy(1, List.of(
                        new ModelProfile("big", 1, new UnopenedSpec("big", true), new GenerationParams(0, 1, 900, 0,
                                List.of()), 0, null, null, List.of(), List.of("extractive")),
                        profile("small", 1, false, 0, null)),
                Map.of("auto", List.of(new RouteRule("all", List.of(), List.of(), 0, 0, List.of("small", "big")))));
        assertThat(m.maxTokens("auto")).isEqualTo(900);
        assertThat(m.maxTokens("small")).isEqualTo(64);
        assertThat(m.mayGenerate("auto")).isTrue();
        assertThat(m.mayGenerate(AnswerModels.EXTRACTIVE)).isFalse();
        assertThat(m.reachable("auto")).containsExactly("small", "big", "extractive");
    }

    @Test
    void aFailoverTakesTheNextCandidateOfTheChainThatCanContinue() {
        ChatRequest r = request("auto", "Why is the sky blue?", 100);
        RoutingDecision first = router.route(models(), r, GOLD_EU, p -> false);
        assertThat(first.profile()).isEqualTo("large");
        RoutingDecision.Failover broke = new RoutingDecision.Failover("large", "m:large", 3, 12);
        RoutingDecision next = router.failover(models(), r, GOLD_EU, first, broke, true, p -> false);
        assertThat(next.profile()).isEqualTo("small");
        assertThat(next.failovers()).containsExactly(broke);
        RoutingDecision.Failover alsoBroke = new RoutingDecision.Failover("small", "m:small", 1, 4);
        RoutingDecision none = router.failover(models(), r, GOLD_EU, next, alsoBroke, true, p -> false);
        assertThat(none.profile()).as("the extractive answerer cannot continue a text").isNull();
        assertThat(none.skipped()).containsExactly(new Skip("extractive", Skip.CANNOT_CONTINUE));
        assertThat(none.failovers()).containsExactly(broke, alsoBroke);
        // Before any text was sent it may answer afresh.
        assertThat(router.failover(models(), r, GOLD_EU, next, alsoBroke, false, p -> false).profile())
                .isEqualTo("extractive");
    }
}
