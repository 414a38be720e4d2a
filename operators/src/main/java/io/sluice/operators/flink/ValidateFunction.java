package io.sluice.operators.flink;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.failure.RecordFailures;
import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;
import io.sluice.operators.validate.RequestValidator;
import io.sluice.operators.validate.ValidationResult;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RequestEnvelope;
import io.sluice.schemas.RequestSignature;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * The {@code validate} stage: valid requests go on, rejections go to {@link Rejections#TAG}. The
 * signing key is read on the TaskManager when the stage opens ({@link Signing}), never carried in
 * the job graph.
 */
public final class ValidateFunction extends ProcessFunction<RequestEnvelope, ChatRequest> {

    private static final long serialVersionUID = 1L;

    /**
     * Where the key of {@link io.sluice.schemas.RequestSignature}s is (a file, else
     * {@value RequestSignature#KEY_ENV}; neither: no signature is checked) and whether unsigned records are
     * refused.
     */
    public record Signing(String keyFile, boolean required) implements java.io.Serializable {
        public static final Signing NONE = new Signing(null, false);
    }

    private final TenantRegistry tenants;
    private final AnswerModels answerModels;
    private final int maxPayloadBytes;
    private final Signing signing;
    private transient RequestValidator validator;
    private transient StageMetrics metrics;
    private transient Tracing tracing;

    public ValidateFunction(TenantRegistry tenants, AnswerModels answerModels, int maxPayloadBytes, Signing signing) {
        this.tenants = tenants;
        this.answerModels = answerModels;
        this.maxPayloadBytes = maxPayloadBytes;
        this.signing = signing;
    }

    @Override
    public void open(OpenContext context) {
        byte[] key;
        try {
            key = RequestSignature.readKey(signing.keyFile());
        } catch (IllegalArgumentException e) {
            // A configuration error, the same on every restart: stop, and say what is wrong.
            throw new org.apache.flink.runtime.execution.SuppressRestartsException(e);
        }
        if (signing.required() && key == null) {
            // A configuration error, the same on every restart: stop, and say what is missing.
            throw new org.apache.flink.runtime.execution.SuppressRestartsException(new IllegalStateException(
                    "sluice.gateway.require-signature is set, but no signing key is on this TaskManager: set "
                            + "sluice.gateway.signing-key-file or " + RequestSignature.KEY_ENV));
        }
        validator = new RequestValidator(tenants, answerModels, maxPayloadBytes, key, signing.required());
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), RequestValidator.STAGE);
        tracing = Tracing.open(TracingOptions.settings(getRuntimeContext().getGlobalJobParameters()));
    }

    @Override
    public void close() {
        if (tracing != null) {
            tracing.close();
        }
    }

    @Override
    public void processElement(RequestEnvelope envelope, Context ctx, Collector<ChatRequest> out) {
        long startMicros = Tracing.nowMicros();
        ValidationResult result;
        try {
            result = validator.validate(envelope);
        } catch (RuntimeException | StackOverflowError e) {
            // The validator turns every problem it knows into a rejection; this is one it does not. Its
            // payload is echoed by length and hash only: the record was not scanned for personal data
            // (the raw record stays in chat.requests, at the position the rejection names).
            result = new ValidationResult.Rejected(new Rejection(RequestValidator.STAGE, RejectReason.STAGE_FAILED,
                    RecordFailures.describeOrRethrow(e), null, null, null,
                    Bounds.echo(envelope.payload(), 0),
                    envelope.partition(), envelope.offset(), envelope.timestamp(), envelope.replyPartition()));
        }
        if (result instanceof ValidationResult.Valid valid) {
            metrics.passed();
            metrics.redacted(valid.request().redacted());
            Tracing.StageSpan span = tracing.start(RequestValidator.STAGE, valid.request(), startMicros);
            out.collect(span.on(valid.request()));
            span.end();
        } else if (result instanceof ValidationResult.Rejected rejected) {
            metrics.rejected(rejected.rejection().reason());
            ctx.output(Rejections.TAG, rejected.rejection());
        }
    }
}
