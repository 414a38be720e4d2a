package io.sluice.operators.flink;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.validate.RequestValidator;
import io.sluice.operators.validate.TenantRegistry;
import io.sluice.operators.validate.ValidationResult;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RequestEnvelope;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** The {@code validate} stage: valid requests go on, rejections go to {@link #REJECTED}. */
public final class ValidateFunction extends ProcessFunction<RequestEnvelope, ChatRequest> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<Rejection> REJECTED = new OutputTag<>("rejected", Rejection.TYPE);

    private final TenantRegistry tenants;
    private final AnswerModels answerModels;
    private transient RequestValidator validator;
    private transient StageMetrics metrics;

    public ValidateFunction(TenantRegistry tenants, AnswerModels answerModels) {
        this.tenants = tenants;
        this.answerModels = answerModels;
    }

    @Override
    public void open(OpenContext context) {
        validator = new RequestValidator(tenants, answerModels);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "validate");
    }

    @Override
    public void processElement(RequestEnvelope envelope, Context ctx, Collector<ChatRequest> out) {
        ValidationResult result = validator.validate(envelope);
        if (result instanceof ValidationResult.Valid valid) {
            metrics.passed();
            out.collect(valid.request());
        } else if (result instanceof ValidationResult.Rejected rejected) {
            metrics.rejected(rejected.rejection().reason());
            ctx.output(REJECTED, rejected.rejection());
        }
    }
}
