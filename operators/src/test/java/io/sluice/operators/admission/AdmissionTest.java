package io.sluice.operators.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.OpenAiBackendConfig;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.OpenAiChatModelSpec;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.Reservation;
import io.sluice.schemas.Settlement;
import io.sluice.schemas.Spend;
import io.sluice.schemas.tenants.BudgetPeriod;
import io.sluice.schemas.tenants.Limits;
import io.sluice.schemas.tenants.LimitsUpdate;
import io.sluice.schemas.tenants.RateLimit;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;
import io.sluice.schemas.tenants.TokenBudget;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

class AdmissionTest {

    private static final long T0 = Instant.parse("2026-12-01T10:00:00Z").toEpochMilli();

    static final AnswerModels MODELS = new AnswerModels(AnswerModels.EXTRACTIVE,
            Map.of("remote", new OpenAiChatModelSpec(OpenAiBackendConfig.of("http://localhost:1/v1", "m", null))),
            GenerationParams.greedy(64, 0));

    /** A generative turn's worst case with the defaults: 1,024 context + 64 answer + 256 overhead. */
    private static final long R = 1024 + 64 + Admission.PROMPT_OVERHEAD_TOKENS;

    private static Admission admission(Tenant... tenants) {
        return new Admission(new TenantRegistry(List.of(tenants)), MODELS, true);
    }

    private static long offsets;

    private static ChatRequest request(String tenant, String id, long eventTime) {
        return request(tenant, id, eventTime, "extractive", null);
    }

    private static ChatRequest request(String tenant, String id, long eventTime, String model, String key) {
        return new ChatRequest(id, tenant, "c-1", "hello", 5, 1024, eventTime, 3, offsets++, model, 7, null, null,
                key);
    }

    private static Settlement settled(ChatRequest r, long tokens) {
        return new Settlement(r.tenantId(), r.requestId(), r.position(), tokens, Settlement.ANSWERED);
    }

    @Test
    void aTenantWithoutALimitIsAdmittedWithoutState() throws Exception {
        Admission admission = admission(Tenant.withDefaults("open"));
        MapAdmissionState state = new MapAdmissionState();
        assertThat(admission.limits("open")).isFalse();
        assertThat(admission.admit(request("open", "r-1", T0, "remote", "k"), state)).isNull();
        assertThat(state.tenantBucket).isNull();
        assertThat(state.reservations).isEmpty();
    }

    @Test
    void aRefusalIsTypedAndSaysWhenToComeBack() throws Exception {
        Admission admission = admission(Tenant.withDefaults("acme").withRateLimit(new RateLimit(120, 2)));
        MapAdmissionState state = new MapAdmissionState();
        assertThat(admission.admit(request("acme", "r-1", T0), state)).isNull();
        assertThat(admission.admit(request("acme", "r-2", T0 + 100), state)).isNull();
        Rejection c = admission.admit(request("acme", "r-3", T0 + 200), state);
        assertThat(c.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(c.stage()).isEqualTo(Admission.STAGE);
        assertThat(c.requestId()).isEqualTo("r-3");
        assertThat(c.replyPartition()).isEqualTo(7);
        // 120 per minute: one every 500 ms; 200 ms have refilled 0.4 of a request by T0 + 200.
        assertThat(c.retryAt()).isEqualTo(T0 + 500);
        assertThat(c.retryAfterMillis()).isEqualTo(300);
        assertThat(c.detail()).contains("120 requests per minute", "burst 2", Instant.ofEpochMilli(T0 + 500).toString());
        assertThat(admission.admit(request("acme", "r-3", T0 + 500), state)).isNull();
    }

    @Test
    void eachApiKeyHasItsOwnBucketWithinTheTenants() throws Exception {
        Admission keys = admission(Tenant.withDefaults("acme").withRateLimit(new RateLimit(60, 3))
                .withKeyRateLimit(new RateLimit(60, 2)));
        MapAdmissionState state = new MapAdmissionState();
        assertThat(keys.admit(request("acme", "r-1", T0, "extractive", "k1"), state)).isNull();
        assertThat(keys.admit(request("acme", "r-2", T0, "extractive", "k1"), state)).isNull();
        // k1 has used its two; the tenant has one left, which k1 may not take and k2 may.
        Rejection k1 = keys.admit(request("acme", "r-3", T0 + 100, "extractive", "k1"), state);
        assertThat(k1.detail()).contains("API key k1 of tenant acme", "60 requests per minute (burst 2)");
        assertThat(k1.retryAt()).isEqualTo(T0 + 1_000);
        assertThat(keys.admit(request("acme", "r-4", T0 + 100, "extractive", "k2"), state)).as("the refusal took "
                + "nothing from the tenant").isNull();
        Rejection k3 = keys.admit(request("acme", "r-5", T0 + 100, "extractive", "k3"), state);
        assertThat(k3.detail()).contains("tenant acme is over its rate limit of 60 requests per minute");
        Rejection both = keys.admit(request("acme", "r-6", T0 + 200, "extractive", "k1"), state);
        assertThat(both.retryAt()).isEqualTo(T0 + 1_000);
    }

    @Test
    void aGenerativeTurnReservesItsWorstCaseAndSettlesItsRealUse() throws Exception {
        Admission admission = admission(Tenant.withDefaults("acme")
                .withLimits(Limits.NONE.withTokens(new TokenBudget(3 * R, 0))));
        MapAdmissionState state = new MapAdmissionState();
        List<ChatRequest> turns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            turns.add(request("acme", "g-" + i, T0, "remote", null));
            assertThat(admission.admit(turns.get(i), state)).isNull();
            assertThat(admission.budgetLeft(turns.get(i), state)).as("left after the reservation")
                    .isEqualTo((2 - i) * 100 / 3);
        }
        String day = Admission.budgetKey("tenant", BudgetPeriod.DAY, T0);
        assertThat(state.spend.get(day)).isEqualTo(new Spend(0, 3 * R));
        assertThat(state.inFlight).isEqualTo(3);
        // Extractive turns spend no model tokens: never reserved, and count toward no budget.
        assertThat(admission.admit(request("acme", "x-1", T0), state)).isNull();
        assertThat(admission.budgetLeft(request("acme", "x-2", T0), state)).isEqualTo(-1);

        Rejection held = admission.admit(request("acme", "g-3", T0, "remote", null), state);
        assertThat(held.reason()).isEqualTo(RejectReason.BUDGET_EXHAUSTED);
        assertThat(held.retryAt()).as("only running turns hold the budget").isEqualTo(-1);
        assertThat(held.detail()).contains("daily token budget", "budget " + 3 * R, "reserved " + 3 * R);

        assertThat(admission.settle(settled(turns.get(0), 100), state)).isTrue();
        assertThat(admission.settle(settled(turns.get(0), 100), state)).as("a settlement read again").isFalse();
        assertThat(admission.settle(settled(turns.get(1), 100), state)).isTrue();
        assertThat(state.spend.get(day)).isEqualTo(new Spend(200, R));
        assertThat(state.inFlight).isEqualTo(1);
        ChatRequest fourth = request("acme", "g-4", T0 + 1, "remote", null);
        assertThat(admission.admit(fourth, state)).isNull();

        // A model that says nothing of its use is charged its reservation.
        assertThat(admission.settle(settled(turns.get(2), -1), state)).isTrue();
        assertThat(admission.settle(settled(fourth, R), state)).isTrue();
        assertThat(state.spend.get(day)).isEqualTo(new Spend(2 * R + 200, 0));
        assertThat(state.reservations).isEmpty();
        Rejection spent = admission.admit(request("acme", "g-5", T0 + 2, "remote", null), state);
        assertThat(spent.reason()).isEqualTo(RejectReason.BUDGET_EXHAUSTED);
        assertThat(spent.retryAt()).as("spent for good: the next UTC day")
                .isEqualTo(Instant.parse("2026-12-02T00:00:00Z").toEpochMilli());
        // The next day has a budget of its own.
        assertThat(admission.admit(request("acme", "g-6", Instant.parse("2026-12-02T00:00:00Z").toEpochMilli(),
                "remote", null), state)).isNull();
    }

    @Test
    void keyAndModelBudgetsCountBesideTheTenantsAndARefusalReservesNothing() throws Exception {
        Admission admission = admission(Tenant.withDefaults("acme").withLimits(Limits.NONE
                .withRate(new RateLimit(60, 10))
                .withTokens(new TokenBudget(0, 10 * R))
                .withKeyTokens(new TokenBudget(2 * R, 0))
                .withModelTokens(Map.of("remote", new TokenBudget(0, 3 * R)))));
        MapAdmissionState state = new MapAdmissionState();
        assertThat(admission.admit(request("acme", "a", T0, "remote", "k1"), state)).isNull();
        assertThat(admission.admit(request("acme", "b", T0, "remote", "k1"), state)).isNull();
        Rejection key = admission.admit(request("acme", "c", T0, "remote", "k1"), state);
        assertThat(key.detail()).startsWith("API key k1 of tenant acme has too little of its daily token budget");
        assertThat(admission.admit(request("acme", "d", T0, "remote", "k2"), state)).isNull();
        Rejection model = admission.admit(request("acme", "e", T0, "remote", "k3"), state);
        assertThat(model.detail()).startsWith("answer model remote of tenant acme has too little of its monthly");
        assertThat(state.spend.get(Admission.budgetKey("tenant", BudgetPeriod.MONTH, T0))).isEqualTo(new Spend(0, 3 * R));
        assertThat(state.spend.get(Admission.budgetKey("key:k1", BudgetPeriod.DAY, T0))).isEqualTo(new Spend(0, 2 * R));
        // Three admitted, two refused: the refusals took nothing from the rate bucket either.
        assertThat(state.tenantBucket.level()).isEqualTo(7 * 60_000L);
    }

    @Test
    void aTenantMayBoundItsGenerationsInFlight() throws Exception {
        Admission admission = admission(Tenant.withDefaults("acme").withLimits(Limits.NONE.withMaxInFlight(2)));
        MapAdmissionState state = new MapAdmissionState();
        ChatRequest first = request("acme", "a", T0, "remote", null);
        assertThat(admission.admit(first, state)).isNull();
        assertThat(admission.admit(request("acme", "b", T0, "remote", null), state)).isNull();
        assertThat(admission.admit(request("acme", "x", T0), state)).as("extractive: not a generation").isNull();
        Rejection busy = admission.admit(request("acme", "c", T0, "remote", null), state);
        assertThat(busy.reason()).isEqualTo(RejectReason.RATE_LIMITED);
        assertThat(busy.detail()).contains("2 generations running");
        assertThat(admission.settle(new Settlement("acme", "a", first.position(), 0, "MODEL_FAILED"), state)).isTrue();
        assertThat(admission.admit(request("acme", "c", T0, "remote", null), state)).isNull();
    }

    @Test
    void withoutSettlementsBudgetsAreNotEnforced() throws Exception {
        Admission replaying = new Admission(new TenantRegistry(List.of(Tenant.withDefaults("acme")
                .withLimits(Limits.NONE.withTokens(new TokenBudget(1, 0)).withMaxInFlight(1)))), MODELS, false);
        MapAdmissionState state = new MapAdmissionState();
        for (int i = 0; i < 3; i++) {
            assertThat(replaying.admit(request("acme", "g" + i, T0, "remote", null), state)).isNull();
        }
        assertThat(state.reservations).isEmpty();
    }

    /**
     * Random admissions and settlements against random budgets: at every step each count's reserved
     * tokens are those of its running turns, settled plus reserved never pass the budget (turns spend
     * at most their worst case), and in flight is the number of reservations.
     */
    @Test
    void reservationsAndSettlementsKeepEveryBudgetWithinBounds() throws Exception {
        long seed = Long.getLong("sluice.test.seed", System.nanoTime());
        System.out.println("AdmissionTest seed " + seed + " (rerun with -Dsluice.test.seed=" + seed + ")");
        Random random = new Random(seed);
        for (int round = 0; round < 50; round++) {
            TokenBudget tenantDay = new TokenBudget((1 + random.nextInt(20)) * R / 2, 0);
            TokenBudget keyMonth = new TokenBudget(0, (1 + random.nextInt(20)) * R / 2);
            Admission admission = admission(Tenant.withDefaults("acme").withLimits(Limits.NONE.withTokens(tenantDay)
                    .withKeyTokens(keyMonth).withMaxInFlight(random.nextInt(6))));
            MapAdmissionState state = new MapAdmissionState();
            List<ChatRequest> running = new ArrayList<>();
            long time = T0;
            for (int step = 0; step < 300; step++) {
                time += random.nextInt(3) * 3_600_000L; // sometimes a new day
                if (running.isEmpty() || random.nextBoolean()) {
                    ChatRequest r = request("acme", "r" + step, time, "remote", "k" + random.nextInt(3));
                    if (admission.admit(r, state) == null) {
                        running.add(r);
                    }
                } else {
                    ChatRequest r = running.remove(random.nextInt(running.size()));
                    long used = random.nextInt(4) == 0 ? -1 : random.nextInt((int) R + 1);
                    assertThat(admission.settle(settled(r, used), state)).as("seed %d", seed).isTrue();
                }
                assertThat(state.inFlight).as("seed %d", seed).isEqualTo(running.size());
                for (var e : state.spend.entrySet()) {
                    long reserved = 0;
                    for (Reservation res : state.reservations.values()) {
                        boolean counts = e.getKey().startsWith("tenant/")
                                ? e.getKey().equals(Admission.budgetKey("tenant", BudgetPeriod.DAY, res.eventTime()))
                                : e.getKey().equals(Admission.budgetKey("key:" + res.apiKeyId(), BudgetPeriod.MONTH,
                                        res.eventTime()));
                        reserved += counts ? res.tokens() : 0;
                    }
                    assertThat(e.getValue().reserved()).as("seed %d, %s", seed, e.getKey()).isEqualTo(reserved);
                    long bound = e.getKey().startsWith("tenant/") ? tenantDay.tokensPerDay() : keyMonth.tokensPerMonth();
                    assertThat(e.getValue().settled() + e.getValue().reserved()).as("seed %d, %s", seed, e.getKey())
                            .isLessThanOrEqualTo(bound);
                }
            }
        }
    }

    @Test
    void theUpdateOfTheHighestVersionInEffectAtARequestsEventTimeHoldsIt() throws Exception {
        Admission admission = new Admission(new TenantRegistry(List.of(Tenant.withDefaults("t")
                .withRateLimit(new RateLimit(60, 1)))), MODELS, true, true);
        MapAdmissionState state = new MapAdmissionState();
        String five = "{\"rateLimit\": {\"requestsPerMinute\": 60, \"burst\": 5}}";
        String two = "{\"rateLimit\": {\"requestsPerMinute\": 60, \"burst\": 2}}";
        assertThat(admission.update(new LimitsUpdate("t", 2, 1_000, five), state)).isTrue();
        // Version 3 takes effect earlier than 2 and wins from then on; an old version is ignored.
        assertThat(admission.update(new LimitsUpdate("t", 3, 500, two), state)).isTrue();
        assertThat(admission.update(new LimitsUpdate("t", 1, 0, "{}"), state)).isFalse();
        assertThat(admission.limitsAt("t", 499, state).rate().burst()).as("the file's").isEqualTo(1);
        assertThat(admission.limitsAt("t", 500, state).rate().burst()).isEqualTo(2);
        assertThat(admission.limitsAt("t", 5_000, state).rate().burst()).isEqualTo(2);
        assertThat(admission.update(new LimitsUpdate("t", 4, 6_000, "{}"), state)).isTrue();
        assertThat(admission.limitsAt("t", 6_000, state)).as("lifted").isNull();
        assertThat(admission.limits("other")).as("any tenant may gain limits").isTrue();
        for (int v = 5; v < 20; v++) {
            admission.update(new LimitsUpdate("t", v, 7_000, five), state);
        }
        assertThat(state.limitsHistory().updates()).hasSize(Admission.KEPT_UPDATES);
    }

    @Test
    void replayTakesBudgetDecisionsFromTheJournalAndRateDecisionsItReDerives() throws Exception {
        // Replay: no settlements; the live run answered the requests at the positions given.
        Admission admission = new Admission(new TenantRegistry(List.of(Tenant.withDefaults("t")
                .withLimits(Limits.NONE.withTokens(new TokenBudget(1, 0)).withRate(new RateLimit(60, 2))))), MODELS,
                false, true);
        MapAdmissionState state = new MapAdmissionState();
        ChatRequest answered = request("t", "g1", 1_000, "remote", null);
        ChatRequest refused = request("t", "g2", 1_000, "remote", null);
        ChatRequest extractive = request("t", "e1", 1_000);
        admission.withBudgetsFromJournal(Map.of(answered.position(), 37));
        assertThat(admission.admit(answered, state)).as("answered live, though the budget of 1 token could not hold it")
                .isNull();
        assertThat(admission.budgetLeft(answered, state)).as("as the live run found it").isEqualTo(37);
        Rejection again = admission.admit(refused, state);
        assertThat(again.reason()).isEqualTo(RejectReason.BUDGET_EXHAUSTED);
        assertThat(again.detail()).contains("not answered by the live run");
        assertThat(admission.admit(extractive, state)).as("extractive turns spend no budget; the rate holds two")
                .isNull();
        assertThat(admission.admit(request("t", "e2", 1_000), state).reason()).as("rate decisions are re-derived")
                .isEqualTo(RejectReason.RATE_LIMITED);
    }
}
