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
 * first rule matching the turn (tenant tier, intent, message length) gives the profiles to try.
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
            int chars = request.message().length();
            // The last rule matches every turn (AnswerModels checks it).
            RouteRule matched = rules.stream().filter(r -> r.matches(tier, intent, chars)).findFirst()
                    .orElseThrow();
            rule = matched.name();
            primaries = matched.profiles();
        }
        List<Skip> skipped = new ArrayList<>();
        for (String candidate : models.chain(primaries)) {
            ModelProfile p = models.profile(candidate).orElseThrow();
            String reason = reasonToSkip(models, p, request, tenant, breakerOpen);
            if (reason == null) {
                return new RoutingDecision(models.policyVersion(), rule, intent, p.name(), p.version(), skipped);
            }
            skipped.add(new Skip(p.name(), reason));
        }
        return new RoutingDecision(models.policyVersion(), rule, intent, null, 0, skipped);
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
