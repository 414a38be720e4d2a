package io.sluice.operators.flink;

import io.sluice.operators.admission.Admission;
import io.sluice.operators.admission.AdmissionState;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.failure.RecordFailures;
import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;
import io.sluice.schemas.AdmissionEvent;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.Reservation;
import io.sluice.schemas.Settlement;
import io.sluice.schemas.Spend;
import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.LimitsHistory;
import io.sluice.schemas.tenants.LimitsUpdate;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The {@code admission} stage, keyed by tenant: one writer per tenant's limits, checkpointed with the
 * source offsets, so a limit holds across parallel instances and failures. Its first input is the
 * valid requests: admitted ones go on, refusals go to {@link Rejections#TAG}. Its second is
 * {@link AdmissionEvent}s: the {@link Settlement}s of admitted turns, read back from
 * {@code chat.usage}, which replace their reservations by what they spent, and the
 * {@link LimitsUpdate}s of {@code chat.tenant-limits}, which change a tenant's limits while the job
 * runs. Decisions are {@link Admission}'s; this adapter keeps the
 * tenant's {@link AdmissionState} in keyed state. A request on which the decision fails (not the
 * environment: {@link RecordFailures}) is refused as {@code STAGE_FAILED}, anything it reserved
 * released; a settlement that fails is counted ({@code failedSettlements}) and logged:
 *
 * <ul>
 *   <li>{@code rate-bucket}: the tenant's request bucket;
 *   <li>{@code key-buckets}: its API keys' buckets. Key ids come from the requests, so entries
 *       expire {@link #keyBucketTtl} after they were last written (processing time); a bucket left
 *       alone that long has refilled, and a full bucket is what a missing entry means;
 *   <li>{@code token-spend}: settled and reserved tokens per budget and period, expiring 70 days
 *       after their last write (a month's count is written within its month);
 *   <li>{@code reservations}: the running generations by request position, never expiring: each
 *       ends with its settlement;
 *   <li>{@code in-flight}: how many there are;
 *   <li>{@code limits-history}: the tenant's limits updates, never expiring (a few per tenant).
 * </ul>
 */
public final class AdmissionFunction extends KeyedCoProcessFunction<String, ChatRequest, AdmissionEvent, ChatRequest> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AdmissionFunction.class);

    private final TenantRegistry tenants;
    private final AnswerModels answerModels;
    private final boolean budgets;
    private final boolean liveLimits;
    private java.util.HashMap<String, Integer> answeredLive;
    private transient Admission admission;
    private transient FlinkState state;
    private transient StageMetrics metrics;
    private transient Tracing tracing;
    private transient Counter settled;
    private transient Counter unmatchedSettlements;
    private transient Counter failedSettlements;
    private transient Counter limitUpdates;
    private transient Counter staleLimitUpdates;
    private transient MetricGroup budgetGroup;
    /** Per tenant, the budget left (whole percent) after its last admitted turn; read by a gauge. */
    private transient java.util.Map<String, int[]> budgetLeft;

    /**
     * @param budgets whether token budgets and in-flight bounds are enforced: where the settlements
     *     come back (the serving job); replay, which has none, passes false
     */
    public AdmissionFunction(TenantRegistry tenants, AnswerModels answerModels, boolean budgets) {
        this(tenants, answerModels, budgets, false);
    }

    /** @param liveLimits whether limits updates may come (the job reads {@code chat.tenant-limits}) */
    public AdmissionFunction(TenantRegistry tenants, AnswerModels answerModels, boolean budgets, boolean liveLimits) {
        this.tenants = tenants;
        this.answerModels = answerModels;
        this.budgets = budgets;
        this.liveLimits = liveLimits;
    }

    /** This stage as replay runs it: budget decisions from the live run's audit trail ({@link Admission#withBudgetsFromJournal}). */
    public AdmissionFunction withBudgetsFromJournal(java.util.Map<String, Integer> answered) {
        this.answeredLive = new java.util.HashMap<>(answered);
        return this;
    }

    /** The key of the stage's requests: the tenant. */
    public static String key(ChatRequest request) {
        return request.tenantId();
    }

    /** The key of the stage's settlements and limits updates: the tenant. */
    public static String key(AdmissionEvent event) {
        return event.tenantId();
    }

    @Override
    public void open(OpenContext context) {
        admission = new Admission(tenants, answerModels, budgets, liveLimits);
        if (answeredLive != null) {
            admission.withBudgetsFromJournal(answeredLive);
        }
        state = new FlinkState();
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), Admission.STAGE);
        var group = getRuntimeContext().getMetricGroup().addGroup("sluice").addGroup(Admission.STAGE);
        settled = group.counter("settled");
        unmatchedSettlements = group.counter("unmatched_settlements");
        failedSettlements = group.counter("failed_settlements");
        limitUpdates = group.counter("limit_updates");
        staleLimitUpdates = group.counter("stale_limit_updates");
        budgetGroup = group.addGroup("budget");
        budgetLeft = new java.util.HashMap<>();
        tracing = Tracing.open(TracingOptions.settings(getRuntimeContext().getGlobalJobParameters()));
    }

    @Override
    public void close() {
        if (tracing != null) {
            tracing.close();
        }
    }

    /**
     * Records the budget a tenant has left: the gauge {@code sluice.admission.budget.tenant.used_ratio}
     * (label {@code tenant}; tenants with a budget are configured, so the values are bounded), the
     * share of the tightest budget spent or reserved as of the tenant's last admitted turn.
     */
    private void budgetLeft(String tenant, int percent) {
        budgetLeft.computeIfAbsent(tenant, t -> {
            int[] left = {100};
            budgetGroup.addGroup("tenant", t).gauge("used_ratio", () -> (100 - left[0]) / 100.0);
            return left;
        })[0] = percent;
    }

    /**
     * How long an untouched key bucket is kept: twice the longest time any tenant's key bucket takes
     * to refill from empty, and at least an hour.
     */
    static Duration keyBucketTtl(TenantRegistry tenants) {
        long longest = tenants.all().stream().map(Tenant::keyRateLimit).filter(java.util.Objects::nonNull)
                .mapToLong(l -> (l.burst() * 60_000L + l.requestsPerMinute() - 1) / l.requestsPerMinute())
                .max().orElse(0);
        return Duration.ofMillis(Math.max(Duration.ofHours(1).toMillis(), 2 * longest));
    }

    private static StateTtlConfig expiring(Duration ttl) {
        return StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build();
    }

    @Override
    public void processElement1(ChatRequest request, Context ctx, Collector<ChatRequest> out) throws Exception {
        Tracing.StageSpan span = tracing.start(Admission.STAGE, request);
        if (!admission.limits(request.tenantId())) {
            metrics.passed();
            out.collect(span.on(request));
            span.end();
            return;
        }
        long start = System.nanoTime();
        Rejection refused;
        try {
            refused = admission.admit(request, state);
        } catch (RuntimeException | StackOverflowError e) {
            // The record's failure (an environment's is thrown on): its rejection, never a restart.
            refused = Rejection.of(Admission.STAGE, RejectReason.STAGE_FAILED, RecordFailures.describeOrRethrow(e),
                    request);
            release(request);
        }
        metrics.latency((System.nanoTime() - start) / 1000);
        if (refused == null) {
            metrics.passed();
            int left = admission.budgetLeft(request, state);
            if (left >= 0) {
                budgetLeft(request.tenantId(), left);
            }
            out.collect(span.on(left < 0 ? request : request.withBudgetLeft(left)));
        } else {
            metrics.rejected(refused.reason());
            ctx.output(Rejections.TAG, refused);
            span.failed(refused.reason().name());
        }
        span.end();
    }

    /** Releases what a request that failed in {@link Admission#admit} may have reserved: no settlement will come. */
    private void release(ChatRequest request) throws Exception {
        try {
            admission.settle(new Settlement(request.tenantId(), request.requestId(), request.position(), 0,
                    RejectReason.STAGE_FAILED.name()), state);
        } catch (RuntimeException | StackOverflowError e) {
            RecordFailures.describeOrRethrow(e); // the same failure again: it reserved nothing
        }
    }

    @Override
    public void processElement2(AdmissionEvent event, Context ctx, Collector<ChatRequest> out) throws Exception {
        if (event.limits() != null) {
            if (admission.update(event.limits(), state)) {
                limitUpdates.inc();
                LOG.info("Limits of tenant {} version {} from {}: {}", event.limits().tenantId(),
                        event.limits().version(), java.time.Instant.ofEpochMilli(event.limits().effectiveAt()),
                        event.limits().limitsJson());
            } else {
                staleLimitUpdates.inc();
            }
            return;
        }
        Settlement settlement = event.settlement();
        boolean matched;
        try {
            matched = admission.settle(settlement, state);
        } catch (RuntimeException | StackOverflowError e) {
            // A settlement the ledger cannot take is counted and logged; failing over would read it again.
            LOG.warn("Settlement of {} ({}) not applied: {}", settlement.requestId(), settlement.tenantId(),
                    RecordFailures.describeOrRethrow(e));
            failedSettlements.inc();
            return;
        }
        if (matched) {
            settled.inc();
        } else {
            unmatchedSettlements.inc();
        }
    }

    /** The tenant's admission state in Flink keyed state (the current key is the tenant). */
    private final class FlinkState implements AdmissionState {
        private final ValueState<TokenBucket> rateBucket;
        private final MapState<String, TokenBucket> keyBuckets;
        private final MapState<String, Spend> spend;
        private final MapState<String, Reservation> reservations;
        private final ValueState<Integer> inFlight;
        private final ValueState<LimitsHistory> limitsHistory;

        FlinkState() {
            var rc = getRuntimeContext();
            rateBucket = rc.getState(new ValueStateDescriptor<>("rate-bucket", TokenBucket.TYPE));
            MapStateDescriptor<String, TokenBucket> keys = new MapStateDescriptor<>("key-buckets", Types.STRING,
                    TokenBucket.TYPE);
            keys.enableTimeToLive(expiring(keyBucketTtl(tenants)));
            keyBuckets = rc.getMapState(keys);
            MapStateDescriptor<String, Spend> spends = new MapStateDescriptor<>("token-spend", Types.STRING,
                    Spend.TYPE);
            spends.enableTimeToLive(expiring(Duration.ofDays(70)));
            spend = rc.getMapState(spends);
            reservations = rc.getMapState(new MapStateDescriptor<>("reservations", Types.STRING, Reservation.TYPE));
            inFlight = rc.getState(new ValueStateDescriptor<>("in-flight", Types.INT));
            limitsHistory = rc.getState(new ValueStateDescriptor<>("limits-history", LimitsHistory.TYPE));
        }

        @Override
        public TokenBucket tenantBucket() throws Exception {
            return rateBucket.value();
        }

        @Override
        public void tenantBucket(TokenBucket bucket) throws Exception {
            rateBucket.update(bucket);
        }

        @Override
        public TokenBucket keyBucket(String apiKeyId) throws Exception {
            return keyBuckets.get(apiKeyId);
        }

        @Override
        public void keyBucket(String apiKeyId, TokenBucket bucket) throws Exception {
            keyBuckets.put(apiKeyId, bucket);
        }

        @Override
        public Spend spend(String budgetKey) throws Exception {
            return spend.get(budgetKey);
        }

        @Override
        public void spend(String budgetKey, Spend value) throws Exception {
            spend.put(budgetKey, value);
        }

        @Override
        public Reservation reservation(String position) throws Exception {
            return reservations.get(position);
        }

        @Override
        public void reserve(String position, Reservation reservation) throws Exception {
            reservations.put(position, reservation);
        }

        @Override
        public void release(String position) throws Exception {
            reservations.remove(position);
        }

        @Override
        public int inFlight() throws Exception {
            Integer n = inFlight.value();
            return n == null ? 0 : n;
        }

        @Override
        public void inFlight(int generations) throws Exception {
            inFlight.update(generations);
        }

        @Override
        public LimitsHistory limitsHistory() throws Exception {
            return limitsHistory.value();
        }

        @Override
        public void limitsHistory(LimitsHistory history) throws Exception {
            limitsHistory.update(history);
        }
    }
}
