package io.sluice.operators.flink;

import io.sluice.operators.admission.Admission;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.util.Collector;

import java.time.Duration;

/**
 * The {@code admission} stage, keyed by tenant: one writer per tenant's limits, checkpointed with the
 * source offsets, so a limit holds across parallel instances and failures. Admitted requests go on,
 * refusals go to {@link Rejections#TAG}. Decisions are {@link Admission}'s; this adapter reads and
 * writes the tenant's {@code rate-bucket} and its API keys' {@code key-buckets} (tenants without a
 * limit have none).
 *
 * <p>Key ids come from the requests, so their buckets must not accumulate: an entry expires
 * {@link #keyBucketTtl} after it was last written (processing time). A bucket left alone that long
 * has refilled completely, and a full bucket is what a missing entry means.
 */
public final class AdmissionFunction extends KeyedProcessFunction<String, ChatRequest, ChatRequest> {

    private static final long serialVersionUID = 1L;

    private final TenantRegistry tenants;
    private transient Admission admission;
    private transient ValueState<TokenBucket> rateBucket;
    private transient MapState<String, TokenBucket> keyBuckets;
    private transient StageMetrics metrics;

    public AdmissionFunction(TenantRegistry tenants) {
        this.tenants = tenants;
    }

    /** The key of the stage: the tenant. */
    public static String key(ChatRequest request) {
        return request.tenantId();
    }

    @Override
    public void open(OpenContext context) {
        admission = new Admission(tenants);
        rateBucket = getRuntimeContext().getState(new ValueStateDescriptor<>("rate-bucket", TokenBucket.TYPE));
        MapStateDescriptor<String, TokenBucket> keys = new MapStateDescriptor<>("key-buckets", Types.STRING,
                TokenBucket.TYPE);
        keys.enableTimeToLive(StateTtlConfig.newBuilder(keyBucketTtl(tenants))
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        keyBuckets = getRuntimeContext().getMapState(keys);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), Admission.STAGE);
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

    @Override
    public void processElement(ChatRequest request, Context ctx, Collector<ChatRequest> out) throws Exception {
        if (!admission.limits(request.tenantId())) {
            metrics.passed();
            out.collect(request);
            return;
        }
        long start = System.nanoTime();
        boolean perKey = admission.limitsKey(request);
        Admission.Decision decision = admission.admit(request, rateBucket.value(),
                perKey ? keyBuckets.get(request.apiKeyId()) : null);
        rateBucket.update(decision.tenantBucket());
        if (perKey) {
            keyBuckets.put(request.apiKeyId(), decision.keyBucket());
        }
        metrics.latency((System.nanoTime() - start) / 1000);
        if (decision.admitted()) {
            metrics.passed();
            out.collect(request);
        } else {
            metrics.rejected(decision.rejection().reason());
            ctx.output(Rejections.TAG, decision.rejection());
        }
    }
}
