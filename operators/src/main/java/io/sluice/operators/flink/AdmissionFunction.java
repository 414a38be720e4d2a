package io.sluice.operators.flink;

import io.sluice.operators.admission.Admission;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.TokenBucket;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The {@code admission} stage, keyed by tenant: one writer per tenant's limits, checkpointed with the
 * source offsets, so a limit holds across parallel instances and failures. Admitted requests go on,
 * refusals go to {@link Rejections#TAG}. Decisions are {@link Admission}'s; this adapter reads and
 * writes the tenant's {@code rate-bucket} state (tenants without a limit have none).
 */
public final class AdmissionFunction extends KeyedProcessFunction<String, ChatRequest, ChatRequest> {

    private static final long serialVersionUID = 1L;

    private final TenantRegistry tenants;
    private transient Admission admission;
    private transient ValueState<TokenBucket> rateBucket;
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
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), Admission.STAGE);
    }

    @Override
    public void processElement(ChatRequest request, Context ctx, Collector<ChatRequest> out) throws Exception {
        if (!admission.limits(request.tenantId())) {
            metrics.passed();
            out.collect(request);
            return;
        }
        long start = System.nanoTime();
        Admission.Decision decision = admission.admit(request, rateBucket.value());
        rateBucket.update(decision.bucket());
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
