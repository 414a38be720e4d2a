package io.sluice.operators.flink;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.failure.RecordFailures;
import io.sluice.operators.validate.RequestValidator;
import io.sluice.operators.validate.TenantRegistry;
import io.sluice.operators.validate.ValidationResult;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RequestEnvelope;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** The {@code validate} stage: valid requests go on, rejections go to {@link Rejections#TAG}. */
public final class ValidateFunction extends ProcessFunction<RequestEnvelope, ChatRequest> {

    private static final long serialVersionUID = 1L;

    private final TenantRegistry tenants;
    private final AnswerModels answerModels;
    private final int maxPayloadBytes;
    private transient RequestValidator validator;
    private transient StageMetrics metrics;

    public ValidateFunction(TenantRegistry tenants, AnswerModels answerModels, int maxPayloadBytes) {
        this.tenants = tenants;
        this.answerModels = answerModels;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    @Override
    public void open(OpenContext context) {
        validator = new RequestValidator(tenants, answerModels, maxPayloadBytes);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), RequestValidator.STAGE);
    }

    @Override
    public void processElement(RequestEnvelope envelope, Context ctx, Collector<ChatRequest> out) {
        ValidationResult result;
        try {
            result = validator.validate(envelope);
        } catch (RuntimeException | StackOverflowError e) {
            // The validator turns every problem it knows into a rejection; this is one it does not.
            result = new ValidationResult.Rejected(new Rejection(RequestValidator.STAGE, RejectReason.STAGE_FAILED,
                    RecordFailures.describeOrRethrow(e), null, null, null,
                    Bounds.echo(envelope.payload(), Bounds.ECHOED_PAYLOAD_CHARS),
                    envelope.partition(), envelope.offset(), envelope.timestamp()));
        }
        if (result instanceof ValidationResult.Valid valid) {
            metrics.passed();
            out.collect(valid.request());
        } else if (result instanceof ValidationResult.Rejected rejected) {
            metrics.rejected(rejected.rejection().reason());
            ctx.output(Rejections.TAG, rejected.rejection());
        }
    }
}
