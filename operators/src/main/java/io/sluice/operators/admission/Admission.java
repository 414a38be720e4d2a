package io.sluice.operators.admission;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.Reservation;
import io.sluice.schemas.Settlement;
import io.sluice.schemas.Spend;
import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.BudgetPeriod;
import io.sluice.schemas.tenants.Limits;
import io.sluice.schemas.tenants.LimitsHistory;
import io.sluice.schemas.tenants.LimitsUpdate;
import io.sluice.schemas.tenants.RateLimit;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;
import io.sluice.schemas.tenants.TokenBudget;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides whether a valid request is admitted, against its tenant's {@link Limits}, and keeps the
 * tenant's {@link AdmissionState}:
 *
 * <ul>
 *   <li>request rates ({@link RateLimiter}): the tenant's bucket and its API key's; a request takes
 *       one from each it draws from, only when each holds one;
 *   <li>for a generative turn of a tenant with token budgets or {@code maxInFlight}: the turn's
 *       worst case ({@link #worstCaseTokens}) is reserved against every budget it counts toward
 *       (the tenant's, its key's, its answer model's; each per UTC day and month of event time),
 *       admitted only if each has room for it beside what is spent and reserved, and the
 *       reservation is replaced by the real use when the turn's {@link Settlement} comes back.
 * </ul>
 *
 * A refused request changes nothing but the refill time of the buckets. Plain and deterministic:
 * time is the request's event time; what it depends on beyond the request is the order in which
 * requests, settlements and limits updates reach it.
 *
 * <p><b>Live limits.</b> A tenant's limits are the tenants file's until a {@link LimitsUpdate} for
 * it arrives ({@link #update}); from then on a request is held to the update of the highest version
 * whose {@code effectiveAt} is at or before the request's event time (the file's when there is
 * none). Updates are kept in the tenant's state ({@link LimitsHistory}, the newest
 * {@value #KEPT_UPDATES}); an update whose version is not above every kept one is ignored, so one
 * read again after a restore changes nothing. A reservation remembers the budgets it was charged to,
 * so its settlement releases exactly those whatever the limits are by then.
 */
public final class Admission {

    /** The stage name: in rejections, metrics and the docs. */
    public static final String STAGE = "admission";

    /**
     * Tokens a generative turn's prompt may take beyond its context budget: the instruction and the
     * chat template around it. The context is packed with the embedding model's tokenizer; a model's
     * own may count a little differently, which this margin absorbs too.
     */
    public static final long PROMPT_OVERHEAD_TOKENS = 256;

    /** Limits updates kept per tenant: the newest, enough for updates published ahead of their time. */
    static final int KEPT_UPDATES = 8;

    private final Map<String, Limits> limited = new HashMap<>();
    private final AnswerModels answerModels;
    private final boolean budgets;
    private final boolean liveLimits;
    /** Replay's journal: positions of the requests the live run answered → the budget left they had (-1: none). */
    private Map<String, Integer> answeredLive;
    /** Parsed limits of updates, by their JSON text: parsed once, not per request. */
    private final Map<String, Limits> parsed = new io.sluice.schemas.LruMap<>(1024);

    /**
     * @param budgets whether token budgets and {@code maxInFlight} are enforced: only where
     *     settlements come back (replay has none, and leaves budgets to the audit trail)
     */
    public Admission(TenantRegistry tenants, AnswerModels answerModels, boolean budgets) {
        this(tenants, answerModels, budgets, false);
    }

    /**
     * @param liveLimits whether {@link LimitsUpdate}s may arrive: every tenant's state is then
     *     read, and every tenant's generative turns are settled, since any may gain limits
     */
    public Admission(TenantRegistry tenants, AnswerModels answerModels, boolean budgets, boolean liveLimits) {
        for (Tenant t : tenants.all()) {
            if (t.limits().any()) {
                limited.put(t.id(), t.limits());
            }
        }
        this.answerModels = answerModels;
        this.budgets = budgets;
        this.liveLimits = liveLimits;
    }

    /**
     * Replay's journal of budget decisions: the positions of the requests the live run answered
     * (its audit trail), each with the budget it had left ({@link ChatRequest#budgetLeft}, -1: none).
     * Budget and in-flight decisions depend on when settlements came back, which no input fixes, so
     * replay does not re-derive them: a generative turn of a tenant with budgets that the live run
     * did not answer is refused again, one it answered is admitted with the budget left it had.
     */
    public Admission withBudgetsFromJournal(Map<String, Integer> answered) {
        this.answeredLive = answered;
        return this;
    }

    /**
     * How much of the tightest token budget an admitted {@code request} counts toward is left after
     * its reservation, in whole percent (rounded down), or -1 when it counts toward none; in replay,
     * what the journal says it was. Routing rules may send a turn of a tenant running out of budget
     * to a cheaper profile.
     */
    public int budgetLeft(ChatRequest request, AdmissionState state) throws Exception {
        if (answeredLive != null) {
            return answeredLive.getOrDefault(request.position(), -1);
        }
        Limits l = limitsAt(request.tenantId(), request.eventTime(), state);
        if (!budgets || l == null || !counted(request, l)) {
            return -1;
        }
        int least = -1;
        for (Bound b : bounds(l, request.tenantId(), request.apiKeyId(), request.answerModel(), request.eventTime())) {
            Spend s = state.spend(b.key());
            s = s == null ? Spend.ZERO : s;
            long left = Math.max(0, b.tokens() - s.settled() - s.reserved());
            int percent = (int) Math.min(100, left * 100 / b.tokens());
            least = least < 0 ? percent : Math.min(least, percent);
        }
        return least;
    }

    /** Whether the tenant may have a limit, so its state is worth reading. */
    public boolean limits(String tenantId) {
        return liveLimits || limited.containsKey(tenantId);
    }

    /** Whether settlements of this tenant's turns are of use: it has (or may gain) budgets or a bound in flight. */
    public boolean budgeted(String tenantId) {
        Limits l = limited.get(tenantId);
        return liveLimits || l != null && l.budgeted();
    }

    /**
     * Keeps {@code update} in the tenant's state, unless its version is not above every one kept
     * (returns false: an old or repeated update).
     */
    public boolean update(LimitsUpdate update, AdmissionState state) throws Exception {
        LimitsHistory history = state.limitsHistory();
        history = history == null ? LimitsHistory.EMPTY : history;
        if (update.version() <= history.latestVersion()) {
            return false;
        }
        List<LimitsUpdate> kept = new ArrayList<>(history.updates());
        kept.add(update);
        while (kept.size() > KEPT_UPDATES) {
            kept.remove(0);
        }
        state.limitsHistory(new LimitsHistory(kept));
        return true;
    }

    /** The limits a request of the tenant at {@code eventTime} is held to; null: none. */
    Limits limitsAt(String tenantId, long eventTime, AdmissionState state) throws Exception {
        if (liveLimits) {
            LimitsHistory history = state.limitsHistory();
            if (history != null) {
                LimitsUpdate inEffect = null;
                for (LimitsUpdate u : history.updates()) { // in version order: the last that applies wins
                    if (u.effectiveAt() <= eventTime) {
                        inEffect = u;
                    }
                }
                if (inEffect != null) {
                    // Checked when read from the topic: a kept update parses.
                    Limits l = parsed.computeIfAbsent(inEffect.limitsJson(), LimitsUpdate::limitsOf);
                    return l.any() ? l : null;
                }
            }
        }
        return limited.get(tenantId);
    }

    /**
     * The tokens a generative turn of {@code request} reserves: its context, its answer (the largest
     * that any profile it may be routed to gives), the overhead.
     */
    public long worstCaseTokens(ChatRequest request) {
        return request.contextTokens() + answerModels.at(request.eventTime()).maxTokens(request.answerModel())
                + PROMPT_OVERHEAD_TOKENS;
    }

    /** Admits {@code request} (null) or refuses it (its rejection), changing {@code state} accordingly. */
    public Rejection admit(ChatRequest request, AdmissionState state) throws Exception {
        Limits l = limitsAt(request.tenantId(), request.eventTime(), state);
        if (l == null) {
            return null;
        }
        long time = request.eventTime();
        // Rates: look, and take only once the budgets agree.
        TokenBucket tenantNow = l.rate() == null ? null : RateLimiter.at(state.tenantBucket(), l.rate(), time);
        boolean perKey = l.keyRate() != null && request.apiKeyId() != null;
        TokenBucket keyNow = perKey ? RateLimiter.at(state.keyBucket(request.apiKeyId()), l.keyRate(), time) : null;
        Rejection refused = rateRefusal(request, l, tenantNow, keyNow);
        if (refused == null && answeredLive != null) {
            refused = journaledBudget(request, l);
        }
        if (refused == null) {
            refused = reserve(request, l, state);
        }
        boolean admitted = refused == null;
        if (tenantNow != null) {
            state.tenantBucket(admitted ? RateLimiter.takeOne(tenantNow) : tenantNow);
        }
        if (keyNow != null) {
            state.keyBucket(request.apiKeyId(), admitted ? RateLimiter.takeOne(keyNow) : keyNow);
        }
        return refused;
    }

    private Rejection rateRefusal(ChatRequest request, Limits l, TokenBucket tenantNow, TokenBucket keyNow) {
        boolean tenantHasOne = tenantNow == null || RateLimiter.hasOne(tenantNow);
        boolean keyHasOne = keyNow == null || RateLimiter.hasOne(keyNow);
        if (tenantHasOne && keyHasOne) {
            return null;
        }
        // Admitted again once every empty bucket holds a request.
        long retryAt = Math.max(tenantHasOne ? -1 : RateLimiter.retryAt(tenantNow, l.rate()),
                keyHasOne ? -1 : RateLimiter.retryAt(keyNow, l.keyRate()));
        String over = !tenantHasOne
                ? "tenant " + request.tenantId() + " is over its rate limit of " + describe(l.rate())
                : "API key " + request.apiKeyId() + " of tenant " + request.tenantId() + " is over its rate limit of "
                        + describe(l.keyRate());
        return Rejection.of(STAGE, RejectReason.RATE_LIMITED, over + "; the next request is admitted from "
                + Instant.ofEpochMilli(retryAt), request).retryingAt(retryAt);
    }

    /** One budget a turn counts toward in one period; {@code owner} names it in a refusal. */
    private record Bound(String key, String owner, BudgetPeriod period, long tokens) {}

    /** The budgets a turn of this tenant, key and model at this event time counts toward. */
    private static List<Bound> bounds(Limits l, String tenantId, String apiKeyId, String answerModel, long eventTime) {
        List<Bound> bounds = new ArrayList<>();
        add(bounds, "tenant", "tenant " + tenantId, l.tokens(), eventTime);
        if (apiKeyId != null) {
            add(bounds, "key:" + apiKeyId, "API key " + apiKeyId + " of tenant " + tenantId, l.keyTokens(),
                    eventTime);
        }
        add(bounds, "model:" + answerModel, "answer model " + answerModel + " of tenant " + tenantId,
                l.modelTokens(answerModel), eventTime);
        return bounds;
    }

    private static void add(List<Bound> bounds, String scope, String owner, TokenBudget budget, long eventTime) {
        if (budget == null) {
            return;
        }
        for (BudgetPeriod p : BudgetPeriod.values()) {
            if (budget.of(p) > 0) {
                bounds.add(new Bound(budgetKey(scope, p, eventTime), owner, p, budget.of(p)));
            }
        }
    }

    /**
     * The key of a budget's count in a period: the scope ({@code tenant}, {@code key:<apiKeyId>},
     * {@code model:<answerModel>}) and the period's name ({@code 2026-12-01} or {@code 2026-12}, which
     * cannot be confused).
     */
    public static String budgetKey(String scope, BudgetPeriod period, long eventTime) {
        return scope + "/" + period.name(eventTime);
    }

    /** Whether the turn counts toward the tenant's budgets and in-flight bound: extractive answers spend no tokens. */
    private boolean counted(ChatRequest request, Limits l) {
        return l.budgeted() && mayGenerate(request);
    }

    /** Whether a turn of {@code request} may be generative under the answer models in force at its event time. */
    private boolean mayGenerate(ChatRequest request) {
        return answerModels.at(request.eventTime()).mayGenerate(request.answerModel());
    }

    /**
     * Whether admission may have reserved for {@code request} under some limits, as another stage
     * with the same answer models can tell. A turn that cannot be generative at its event time holds
     * no reservation whatever the tenant's limits, since {@link #counted} is a function of the request
     * and the answer models alone. Except with a routing policy directory, which each subtask reads
     * again while the job runs: a version read late (after its {@code effectiveAt}) could make a turn
     * generative for admission and not for the asking stage, and a reservation never settled would
     * hold its tokens and in-flight slot for good, so every turn may have reserved then.
     */
    public boolean mayHaveReserved(ChatRequest request) {
        return answerModels.versioned() || mayGenerate(request);
    }

    private Rejection journaledBudget(ChatRequest request, Limits l) {
        if (!counted(request, l) || answeredLive.containsKey(request.position())) {
            return null;
        }
        return Rejection.of(STAGE, RejectReason.BUDGET_EXHAUSTED, "not answered by the live run (no audit row): "
                + "replay takes budget decisions from the audit trail", request);
    }

    private Rejection reserve(ChatRequest request, Limits l, AdmissionState state) throws Exception {
        if (!budgets || !counted(request, l)) {
            return null;
        }
        if (l.maxInFlight() > 0 && state.inFlight() >= l.maxInFlight()) {
            return Rejection.of(STAGE, RejectReason.RATE_LIMITED, "tenant " + request.tenantId() + " has "
                    + state.inFlight() + " generations running, its maxInFlight; try again when one finishes",
                    request);
        }
        long need = worstCaseTokens(request);
        List<Bound> bounds = bounds(l, request.tenantId(), request.apiKeyId(), request.answerModel(),
                request.eventTime());
        List<Spend> spends = new ArrayList<>(bounds.size());
        for (Bound b : bounds) {
            Spend s = state.spend(b.key());
            s = s == null ? Spend.ZERO : s;
            if (s.settled() + s.reserved() + need > b.tokens()) {
                // Spent for good: back when the period ends. Held by running turns only: back when they settle.
                boolean spent = s.settled() + need > b.tokens();
                long retryAt = spent ? b.period().end(request.eventTime()) : -1;
                String detail = b.owner() + " has too little of its " + b.period().adjective()
                        + " token budget left for this turn: budget " + b.tokens() + ", settled " + s.settled()
                        + ", reserved " + s.reserved() + ", this turn's worst case " + need
                        + (spent ? "; the budget resets at " + Instant.ofEpochMilli(retryAt)
                                : "; running turns hold the rest, try again when they finish");
                Rejection r = Rejection.of(STAGE, RejectReason.BUDGET_EXHAUSTED, detail, request);
                return spent ? r.retryingAt(retryAt) : r;
            }
            spends.add(s);
        }
        for (int i = 0; i < bounds.size(); i++) {
            state.spend(bounds.get(i).key(), spends.get(i).reserve(need));
        }
        state.reserve(request.position(), new Reservation(request.requestId(), need, request.apiKeyId(),
                request.answerModel(), request.eventTime(), bounds.stream().map(Bound::key).toList()));
        state.inFlight(state.inFlight() + 1);
        return null;
    }

    /**
     * Replaces the reservation of a settled turn by what it spent (the reservation itself when the
     * model did not say). Returns false, changing nothing, for a request that holds no reservation:
     * an extractive turn, a tenant without budgets, or a settlement read again.
     */
    public boolean settle(Settlement settlement, AdmissionState state) throws Exception {
        if (!budgeted(settlement.tenantId())) {
            return false;
        }
        Reservation r = state.reservation(settlement.position());
        if (r == null) {
            return false;
        }
        long spent = settlement.tokens() < 0 ? r.tokens() : settlement.tokens();
        List<String> keys = r.budgetKeys();
        if (keys == null) { // kept before reservations remembered their budgets: the file's limits then
            Limits l = limited.get(settlement.tenantId());
            keys = l == null ? List.of() : bounds(l, settlement.tenantId(), r.apiKeyId(), r.answerModel(),
                    r.eventTime()).stream().map(Bound::key).toList();
        }
        for (String key : keys) {
            Spend s = state.spend(key);
            state.spend(key, (s == null ? Spend.ZERO : s).settle(r.tokens(), spent));
        }
        state.release(settlement.position());
        state.inFlight(Math.max(0, state.inFlight() - 1));
        return true;
    }

    private static String describe(RateLimit limit) {
        return limit.requestsPerMinute() + " requests per minute (burst " + limit.burst() + ")";
    }
}
