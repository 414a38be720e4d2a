package io.sluice.operators.conversation;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.routing.DegradationLadder;
import io.sluice.operators.routing.Router;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.RoutingDecision;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What becomes of a conversation's head turn when it comes up ({@link #plan}): refused, answered by
 * the local answer model, started on a generative backend, or parked until that backend has a
 * generation free. Routing chooses the profile ({@link Router}); the degradation ladder steps it
 * down by its backend's backlog and by how long it has waited for a slot; the
 * {@link GenerationSlots} say whether the backend can take it. The plan is a decision only: the
 * caller carries it out and changes the slots.
 *
 * <p>Three of its inputs are live: whether a profile's circuit breaker is open (the caller's
 * {@code breakerOpen}), the backend's backlog and how long a turn waited. Replay takes the last two
 * from the journal ({@code journaledDegradations}, by the turn's position), and the first from the
 * journal through its {@code breakerOpen}, so it plans every turn as the live job did.
 */
public final class TurnPlanner {

    /** What becomes of a turn. */
    public sealed interface Plan permits Refused, Local, Parked, Generate {}

    /**
     * The turn is refused with {@code reason}; {@code byLadder}: by the last step of the
     * degradation ladder (counted as a degraded turn).
     */
    public record Refused(RejectReason reason, String detail, boolean byLadder) implements Plan {}

    /** The local answer model answers it, as {@code routing} says (which may carry a ladder step). */
    public record Local(RoutingDecision routing) implements Plan {}

    /** It waits, in priority lane {@code lane}, for a generation of {@code backend} to end. */
    public record Parked(String backend, int lane) implements Plan {}

    /** {@code routing}'s generative profile answers it now, on {@code backend}. */
    public record Generate(RoutingDecision routing, String backend) implements Plan {}

    private final Router router = new Router();
    private final GenerationSlots slots;
    private final DegradationLadder ladder;
    private final Map<String, RoutingDecision.Degradation> journaledDegradations;
    private final TenantRegistry tenants;

    /**
     * @param slots the subtask's generations and parked turns (read, never changed here)
     * @param ladder the degradation ladder; {@link DegradationLadder#OFF} for none
     * @param journaledDegradations replay's ladder inputs by turn position; null when serving. A
     *     replay refuses nothing for being overloaded: only what the live job refused, through these
     * @param tenants the tenants' tiers and residencies; null: every tenant is of the default tier
     */
    public TurnPlanner(GenerationSlots slots, DegradationLadder ladder,
            Map<String, RoutingDecision.Degradation> journaledDegradations, TenantRegistry tenants) {
        this.slots = slots;
        this.ladder = ladder;
        this.journaledDegradations = journaledDegradations;
        this.tenants = tenants;
    }

    /** The tenant of {@code request}, or null when the job knows no tenants. */
    public Tenant tenantOf(ChatRequest request) {
        return tenants == null ? null : tenants.find(request.tenantId()).orElse(null);
    }

    /** The priority lane of {@code request}'s turn: by its priority, then its tenant's tier. */
    public int laneOf(ChatRequest request) {
        Tenant tenant = tenantOf(request);
        return slots.laneOf(tenant == null ? Tenant.DEFAULT_TIER : tenant.tier(), request.bulk());
    }

    /** The backend of generative profile {@code profile}: profiles served by one model share it. */
    public static String backend(AnswerModels models, String profile) {
        return models.generative(profile).orElseThrow().sharingKey();
    }

    /** The profile that answers {@code request} now, before any ladder step. */
    public RoutingDecision route(AnswerModels models, ChatRequest request, Predicate<String> breakerOpen) {
        return router.route(models, request, tenantOf(request), breakerOpen);
    }

    /** Whether {@code request}'s chain has a profile cheaper than the one routing gives it now. */
    public boolean hasCheaper(AnswerModels models, ChatRequest request, Predicate<String> breakerOpen) {
        RoutingDecision routing = route(models, request, breakerOpen);
        return routing.profile() != null && !router.cheaper(models, request, tenantOf(request), routing, null,
                breakerOpen).profile().equals(routing.profile());
    }

    /** The routing after {@code current}'s profile {@link Router#failover failed} with {@code failed}. */
    public RoutingDecision failover(AnswerModels models, ChatRequest request, RoutingDecision current,
            RoutingDecision.Failover failed, boolean midStream, Predicate<String> breakerOpen) {
        return router.failover(models, request, tenantOf(request), current, failed, midStream, breakerOpen);
    }

    /**
     * What becomes of {@code request}'s turn, answered with {@code models}, now; {@code waitedMs}
     * is how long it waited for a slot past the queueing-delay budget (0: it did not).
     */
    public Plan plan(AnswerModels models, ChatRequest request, long waitedMs, Predicate<String> breakerOpen) {
        if (!models.contains(request.answerModel())) {
            // Restored from a job that had this model: a configuration change, not a reason to fail.
            return new Refused(RejectReason.MODEL_FAILED, "answer model '" + request.answerModel()
                    + "' is not configured in this job any more", false);
        }
        RoutingDecision routing = route(models, request, breakerOpen);
        if (routing.profile() == null) {
            return new Refused(RejectReason.NO_MODEL_AVAILABLE, "no profile could answer '" + request.answerModel()
                    + "' (rule " + routing.rule() + "): " + routing.skipped().stream()
                            .map(s -> s.profile() + " " + s.reason()).collect(Collectors.joining(", ")), false);
        }
        if (models.generative(routing.profile()).isPresent() && !ladder.equals(DegradationLadder.OFF)) {
            Load load = load(request, backend(models, routing.profile()), waitedMs);
            DegradationLadder.Step step = ladder.stepFor(request.bulk(), load.backlog(), laneOf(request),
                    slots.interactiveLanes(), load.waitedMs());
            if (step == DegradationLadder.Step.OVERLOADED) {
                return new Refused(RejectReason.OVERLOADED, "answer model '" + routing.profile() + "' has "
                        + load.backlog() + " generations running or waiting; try again shortly", true);
            }
            if (step != DegradationLadder.Step.NONE) {
                RoutingDecision.Degradation d = new RoutingDecision.Degradation(step.name(), load.backlog(),
                        load.waitedMs());
                routing = step == DegradationLadder.Step.CHEAPER_PROFILE
                        ? router.cheaper(models, request, tenantOf(request), routing, d, breakerOpen)
                        : routing.degraded(d, routing.profile(), routing.profileVersion(), List.of());
            }
        }
        String profile = routing.profile();
        if (models.generative(profile).isEmpty()) {
            return new Local(routing);
        }
        String backend = backend(models, profile);
        if (slots.free(backend)) {
            return new Generate(routing, backend);
        }
        if (journaledDegradations == null && slots.overloaded(backend)) { // serving, not replay
            // A hung or far-behind backend: refusing its turns keeps input (and every other backend's
            // turns, extractive ones too) flowing, where waiting would stall them all.
            return new Refused(RejectReason.OVERLOADED, "the backend of answer model '" + profile + "' has "
                    + slots.running(backend) + " generations running and " + slots.parked(backend)
                    + " turns waiting; try again shortly", false);
        }
        return new Parked(backend, laneOf(request));
    }

    /** What the degradation ladder steps a turn by: its backend's backlog and how long it waited. */
    private record Load(int backlog, long waitedMs) {}

    /**
     * The load of {@code backend} for {@code request}'s turn: generations running and parked, and
     * {@code waitedMs}; in replay both as the journal recorded them for the turn.
     */
    private Load load(ChatRequest request, String backend, long waitedMs) {
        if (journaledDegradations == null) {
            return new Load(slots.backlog(backend), waitedMs);
        }
        RoutingDecision.Degradation journaled = journaledDegradations.get(request.position());
        return journaled == null ? new Load(0, 0) : new Load(journaled.backlog(), journaled.waitedMs());
    }
}
