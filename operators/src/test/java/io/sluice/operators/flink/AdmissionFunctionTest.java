package io.sluice.operators.flink;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.schemas.AdmissionEvent;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.Settlement;
import io.sluice.schemas.tenants.Limits;
import io.sluice.schemas.tenants.LimitsUpdate;
import io.sluice.schemas.tenants.TokenBudget;
import io.sluice.schemas.tenants.RateLimit;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/** The admission stage keeps each tenant's bucket in keyed state, through snapshot and restore. */
class AdmissionFunctionTest {

    private static final long T0 = 1_700_000_000_000L;

    private static final TenantRegistry TENANTS = new TenantRegistry(List.of(
            Tenant.withDefaults("acme").withRateLimit(new RateLimit(60, 2)),
            Tenant.withDefaults("globex").withRateLimit(new RateLimit(60, 1)),
            Tenant.withDefaults("open"),
            Tenant.withDefaults("keyed").withKeyRateLimit(new RateLimit(60, 1)),
            // Room for two generative turns and 500 tokens: each reserves 1,024 context + 64 answer + 256 overhead.
            Tenant.withDefaults("budgeted").withLimits(Limits.NONE.withTokens(new TokenBudget(2 * 1344 + 500, 0)))));

    private static KeyedTwoInputStreamOperatorTestHarness<String, ChatRequest, AdmissionEvent, ChatRequest> harness()
            throws Exception {
        return harness(false);
    }

    private static KeyedTwoInputStreamOperatorTestHarness<String, ChatRequest, AdmissionEvent, ChatRequest> harness(
            boolean liveLimits) throws Exception {
        var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(new AdmissionFunction(TENANTS,
                AdmissionTestModels.MODELS, true, liveLimits)), (ChatRequest r) -> AdmissionFunction.key(r),
                (AdmissionEvent e) -> AdmissionFunction.key(e), Types.STRING);
        h.setStateBackend(new EmbeddedRocksDBStateBackend());
        return h;
    }

    private static StreamRecord<ChatRequest> request(String tenant, String id, long time) {
        return new StreamRecord<>(new ChatRequest(id, tenant, "c-" + id, "hello", 5, 1024, time, 0, 0L), time);
    }

    private static StreamRecord<ChatRequest> keyed(String id, String key, long time) {
        return new StreamRecord<>(new ChatRequest(id, "keyed", "c-" + id, "hello", 5, 1024, time, 0, 0L, "extractive",
                -1, null, null, key), time);
    }

    private static List<String> admitted(KeyedTwoInputStreamOperatorTestHarness<String, ChatRequest, AdmissionEvent, ChatRequest> h) {
        return h.extractOutputValues().stream().map(ChatRequest::requestId).toList();
    }

    private static List<Rejection> refused(KeyedTwoInputStreamOperatorTestHarness<String, ChatRequest, AdmissionEvent, ChatRequest> h) {
        ConcurrentLinkedQueue<StreamRecord<Rejection>> side = h.getSideOutput(Rejections.TAG);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void eachTenantHasItsOwnBucketAndItSurvivesARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement1(request("acme", "a1", T0));
            h.processElement1(request("globex", "g1", T0));
            h.processElement1(request("acme", "a2", T0));
            h.processElement1(request("globex", "g2", T0));
            for (int i = 0; i < 5; i++) {
                h.processElement1(request("open", "o" + i, T0));
            }
            assertThat(admitted(h)).containsExactly("a1", "g1", "a2", "o0", "o1", "o2", "o3", "o4");
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("g2");
            assertThat(refused(h).get(0).reason()).isEqualTo(RejectReason.RATE_LIMITED);
            assertThat(refused(h).get(0).retryAt()).isEqualTo(T0 + 1_000);
            snapshot = h.snapshot(1L, 1L);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            // The restored buckets are empty: acme took its burst of two, globex its one.
            h.processElement1(request("acme", "a3", T0 + 500));
            h.processElement1(request("globex", "g3", T0 + 999));
            h.processElement1(request("globex", "g4", T0 + 1_000));
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("a3", "g3");
            assertThat(refused(h).get(0).retryAt()).isEqualTo(T0 + 1_000);
            assertThat(admitted(h)).containsExactly("g4");
        }
    }

    @Test
    void keyBucketsSurviveARestoreAndRequestsWithoutAKeyAreNotLimitedByThem() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement1(keyed("k1-a", "k1", T0));
            h.processElement1(keyed("k1-b", "k1", T0));
            h.processElement1(keyed("nokey-a", null, T0));
            h.processElement1(keyed("nokey-b", null, T0));
            assertThat(admitted(h)).containsExactly("k1-a", "nokey-a", "nokey-b");
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("k1-b");
            snapshot = h.snapshot(1L, 1L);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement1(keyed("k1-c", "k1", T0 + 500));
            h.processElement1(keyed("k2-a", "k2", T0 + 500));
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("k1-c");
            assertThat(admitted(h)).containsExactly("k2-a");
        }
    }

    @Test
    void keyBucketsAreKeptAtLeastTwiceAsLongAsTheyTakeToRefill() {
        assertThat(AdmissionFunction.keyBucketTtl(TENANTS)).isEqualTo(java.time.Duration.ofHours(1));
        TenantRegistry slow = new TenantRegistry(List.of(
                Tenant.withDefaults("slow").withKeyRateLimit(new RateLimit(1, 90))));
        assertThat(AdmissionFunction.keyBucketTtl(slow)).isEqualTo(java.time.Duration.ofMinutes(180));
    }

    private static StreamRecord<ChatRequest> generative(String id, long offset) {
        return new StreamRecord<>(new ChatRequest(id, "budgeted", "c-" + id, "hello", 5, 1024, T0, 0, offset, "remote",
                -1, null, null, null), T0);
    }

    @Test
    void reservationsAndSpendSurviveARestoreAndSettlementsReleaseThem() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement1(generative("g1", 1));
            h.processElement1(generative("g2", 2));
            h.processElement1(generative("g3", 3));
            assertThat(admitted(h)).containsExactly("g1", "g2");
            assertThat(refused(h)).extracting(Rejection::reason).containsExactly(RejectReason.BUDGET_EXHAUSTED);
            snapshot = h.snapshot(1L, 1L);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement1(generative("g4", 4));
            assertThat(refused(h)).as("the restored reservations still hold the budget").hasSize(1);
            // g1 spent 500 of its 1,344: room for one more turn of 1,344 beside g2's reservation.
            h.processElement2(new StreamRecord<>(AdmissionEvent.of(new Settlement("budgeted", "g1", "0:1", 500, Settlement.ANSWERED))));
            h.processElement2(new StreamRecord<>(AdmissionEvent.of(new Settlement("budgeted", "g1", "0:1", 500, Settlement.ANSWERED))));
            h.processElement1(generative("g5", 5));
            h.processElement1(generative("g6", 6));
            assertThat(admitted(h)).containsExactly("g5");
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("g4", "g6");
        }
    }

    @Test
    void aRequestTheDecisionFailsOnIsRefusedAndTheStageGoesOn() throws Exception {
        try (var h = harness()) {
            h.open();
            // A turn larger than the whole budget, so refused until its period ends; that end, near the
            // end of time, is past what a long holds in milliseconds: the decision itself fails.
            long beyond = Long.MAX_VALUE - 1;
            h.processElement1(new StreamRecord<>(new ChatRequest("bad", "budgeted", "c-bad", "hello", 5, 4096, beyond, 0,
                    9L, "remote", -1, null, null, null), T0));
            assertThat(refused(h)).singleElement().satisfies(r -> {
                assertThat(r.reason()).isEqualTo(RejectReason.STAGE_FAILED);
                assertThat(r.stage()).isEqualTo("admission");
                assertThat(r.detail()).contains("ArithmeticException");
            });
            // Nothing was reserved for it: the budget still admits its two turns.
            h.processElement1(generative("g1", 1));
            h.processElement1(generative("g2", 2));
            assertThat(admitted(h)).containsExactly("g1", "g2");
        }
    }

    private static StreamRecord<AdmissionEvent> limits(String tenant, long version, long effectiveAt, String json) {
        return new StreamRecord<>(AdmissionEvent.of(new LimitsUpdate(tenant, version, effectiveAt, json)));
    }

    @Test
    void limitsChangeWhileTheJobRunsFromTheirEventTimeAndSurviveARestore() throws Exception {
        OperatorSubtaskState snapshot;
        long t = 1_000_000L;
        try (var h = harness(true)) {
            h.open();
            // "open" has no limit in the file; an update published ahead gives it one from t + 60 s.
            h.processElement2(limits("open", 1, t + 60_000, "{\"rateLimit\": {\"requestsPerMinute\": 60, \"burst\": 1}}"));
            h.processElement1(request("open", "o1", t));
            h.processElement1(request("open", "o2", t + 1));
            h.processElement1(request("open", "o3", t + 60_000));
            h.processElement1(request("open", "o4", t + 60_001));
            assertThat(admitted(h)).containsExactly("o1", "o2", "o3");
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("o4");
            // An old version read again changes nothing; a newer one lifts the limit from t + 120 s.
            h.processElement2(limits("open", 1, t, "{\"rateLimit\": {\"requestsPerMinute\": 1, \"burst\": 1}}"));
            h.processElement2(limits("open", 2, t + 120_000, "{}"));
            snapshot = h.snapshot(1L, 1L);
        }
        try (var h = harness(true)) {
            h.initializeState(snapshot);
            h.open();
            h.processElement1(request("open", "o5", t + 60_002)); // still version 1: its bucket is empty
            h.processElement1(request("open", "o6", t + 120_000));
            h.processElement1(request("open", "o7", t + 120_000));
            assertThat(admitted(h)).containsExactly("o6", "o7");
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("o5");
            // Another tenant's limits are its own: acme keeps the file's burst of 2.
            h.processElement1(request("acme", "a1", t));
            h.processElement1(request("acme", "a2", t));
            h.processElement1(request("acme", "a3", t));
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("o5", "a3");
        }
    }

    @Test
    void aReservationIsReleasedFromTheBudgetsItWasChargedToWhateverTheLimitsAreBySettlement() throws Exception {
        try (var h = harness(true)) {
            h.open();
            h.processElement1(generative("g1", 1));
            h.processElement1(generative("g2", 2));
            // g1 and g2 hold the tenant's daily budget; then only the model's is limited.
            h.processElement2(limits("budgeted", 1, T0, "{\"modelTokenBudgets\": {\"remote\": {\"tokensPerDay\": 1344}}}"));
            h.processElement2(new StreamRecord<>(AdmissionEvent.of(new Settlement("budgeted", "g1", "0:1", 0,
                    "MODEL_FAILED"))));
            // The tenant's budget is back: g1's release went to it (not to the model's), so one more fits.
            h.processElement2(limits("budgeted", 2, T0, "{\"tokenBudget\": {\"tokensPerDay\": 3188}}"));
            h.processElement1(generative("g3", 3));
            h.processElement1(generative("g4", 4));
            assertThat(admitted(h)).containsExactly("g1", "g2", "g3");
            assertThat(refused(h)).extracting(Rejection::requestId).containsExactly("g4");
        }
    }

    @Test
    void asReplayRunsItBudgetDecisionsComeFromTheJournal() throws Exception {
        // Positions as generative() makes them: partition 0, the given offset.
        var replaying = new AdmissionFunction(TENANTS, AdmissionTestModels.MODELS, false, true)
                .withBudgetsFromJournal(Map.of("0:1", -1, "0:3", -1));
        try (var h = new KeyedTwoInputStreamOperatorTestHarness<>(new KeyedCoProcessOperator<>(replaying),
                (ChatRequest r) -> AdmissionFunction.key(r), (AdmissionEvent e) -> AdmissionFunction.key(e),
                Types.STRING)) {
            h.open();
            for (int offset = 1; offset <= 4; offset++) {
                h.processElement1(generative("g" + offset, offset));
            }
            assertThat(admitted(h)).containsExactly("g1", "g3");
            assertThat(refused(h)).extracting(Rejection::reason).containsOnly(RejectReason.BUDGET_EXHAUSTED);
        }
    }
}
