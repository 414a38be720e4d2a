package io.sluice.operators.routing;

import io.sluice.operators.admission.Admission;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.ModelProfile;
import io.sluice.operators.answer.RouteRule;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RoutingDecision;
import io.sluice.schemas.RoutingDecision.Skip;
import io.sluice.schemas.tenants.Tenant;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Chooses the model profile that answers a turn. A request names a profile or a route; a route's
 * first rule matching the turn (tenant tier, intent, priority, message length, budget left) gives
 * the profiles to try.
 * Candidates are those profiles and their fallbacks, in order ({@link AnswerModels#chain}); the
 * first that can take the turn answers it, and each one passed over is recorded with the reason:
 * a remote backend outside the tenant's residency, a context window too small for the turn's
 * context budget, answer and prompt overhead ({@link Admission#PROMPT_OVERHEAD_TOKENS}), an open circuit breaker. The first two derive from the request, the
 * tenant and the policy; whether a breaker is open is the only live input, asked of
 * {@code breakerOpen} (the TaskManager's breakers when serving, the journal when replaying).
 */
public final class Router {

    private final IntentClassifier intents = new IntentClassifier();

    /**
     * @param tenant the request's tenant; null when the job has no tenants file (tier
     *     {@link Tenant#DEFAULT_TIER}, no residency)
     * @return the decision; its profile is null when every candidate was passed over
     */
    public RoutingDecision route(AnswerModels models, ChatRequest request, Tenant tenant,
            Predicate<String> breakerOpen) {
        String named = request.answerModel();
        String intent = models.policyVersion() > 0 ? intents.classify(request.message()) : null;
        String rule = RoutingDecision.REQUESTED;
        List<String> primaries = List.of(named);
        List<RouteRule> rules = models.route(named);
        if (!rules.isEmpty()) {
            String tier = tenant == null ? Tenant.DEFAULT_TIER : tenant.tier();
            // The last rule matches every turn (AnswerModels checks it).
            RouteRule matched = rules.stream().filter(r -> r.matches(request, tier, intent)).findFirst()
                    .orElseThrow();
            rule = matched.name();
            primaries = matched.profiles();
        }
        List<Skip> skipped = new ArrayList<>();
        ModelProfile chosen = firstThatCanTake(models, models.chain(primaries), request, tenant, false, breakerOpen,
                skipped);
        return new RoutingDecision(models.policyVersion(), rule, intent, chosen == null ? null : chosen.name(),
                chosen == null ? 0 : chosen.version(), skipped);
    }

    /**
     * The decision after {@code current}'s profile failed while answering ({@code failed}): the next
     * candidate of the same chain, after that profile, that can take the turn now; its profile is
     * null when none is left. After text was streamed ({@code midStream}) the next one continues
     * it, so a profile that cannot continue a text (the extractive answerer) is passed over.
     */
    public RoutingDecision failover(AnswerModels models, ChatRequest request, Tenant tenant, RoutingDecision current,
            RoutingDecision.Failover failed, boolean midStream, Predicate<String> breakerOpen) {
        List<String> after = after(models, request, current);
        List<Skip> skipped = new ArrayList<>();
        ModelProfile next = firstThatCanTake(models, after, request, tenant, midStream, breakerOpen, skipped);
        return current.failedOver(failed, next == null ? null : next.name(), next == null ? 0 : next.version(),
                skipped);
    }

    /**
     * {@code current} degraded to a cheaper profile under load ({@code degradation}): the next
     * candidate of the chain after its profile that can take the turn (the chosen one passed over as
     * {@link Skip#OVERLOADED}); the same profile when none is left.
     */
    public RoutingDecision cheaper(AnswerModels models, ChatRequest request, Tenant tenant, RoutingDecision current,
            RoutingDecision.Degradation degradation, Predicate<String> breakerOpen) {
        List<Skip> skipped = new ArrayList<>();
        ModelProfile next = firstThatCanTake(models, after(models, request, current), request, tenant, false,
                breakerOpen, skipped);
        if (next == null) {
            return current.degraded(degradation, current.profile(), current.profileVersion(), List.of());
        }
        List<Skip> passedOver = new ArrayList<>();
        passedOver.add(new Skip(current.profile(), Skip.OVERLOADED));
        passedOver.addAll(skipped);
        return current.degraded(degradation, next.name(), next.version(), passedOver);
    }

    /** The candidates of {@code current}'s chain (its rule's profiles and their fallbacks) after its profile. */
    private static List<String> after(AnswerModels models, ChatRequest request, RoutingDecision current) {
        List<String> primaries = List.of(request.answerModel());
        if (!RoutingDecision.REQUESTED.equals(current.rule())) {
            primaries = models.route(request.answerModel()).stream().filter(r -> r.name().equals(current.rule()))
                    .findFirst().map(RouteRule::profiles).orElse(List.of());
        }
        List<String> chain = models.chain(primaries);
        return chain.subList(chain.indexOf(current.profile()) + 1, chain.size());
    }

    /**
     * The first of {@code candidates} that can take the turn (and continue a text, when one was
     * streamed), adding those passed over to {@code skipped}.
     */
    private static ModelProfile firstThatCanTake(AnswerModels models, List<String> candidates, ChatRequest request,
            Tenant tenant, boolean midStream, Predicate<String> breakerOpen, List<Skip> skipped) {
        for (String candidate : candidates) {
            ModelProfile p = models.profile(candidate).orElseThrow();
            String reason = midStream && !p.generative() ? Skip.CANNOT_CONTINUE
                    : reasonToSkip(models, p, request, tenant, breakerOpen);
            if (reason == null) {
                return p;
            }
            skipped.add(new Skip(p.name(), reason));
        }
        return null;
    }

    private static String reasonToSkip(AnswerModels models, ModelProfile p, ChatRequest request, Tenant tenant,
            Predicate<String> breakerOpen) {
        String residency = tenant == null ? null : tenant.residency();
        if (residency != null && p.remote() && !residency.equals(p.residency())) {
            return Skip.RESIDENCY;
        }
        if (p.contextWindow() > 0 && p.generative() && (long) request.contextTokens()
                + models.params(p.name(), request.requestId()).maxTokens() + Admission.PROMPT_OVERHEAD_TOKENS > p.contextWindow()) {
            return Skip.CONTEXT_WINDOW;
        }
        if (p.generative() && breakerOpen.test(p.name())) {
            return Skip.BREAKER_OPEN;
        }
        return null;
    }
}
