package io.sluice.gateway;

import io.sluice.schemas.TraceParent;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's part of a request's trace: a {@code gateway} span (kind server) per chat completion,
 * the child of the caller's W3C {@code traceparent} when it sent one, from the request's arrival to
 * its response's end; its context goes to the job in the record's {@code traceparent} header, where
 * the job's stages continue the trace. Configured as the job's tracing is ({@code Tracing} in
 * module operators, which the gateway does not depend on): an exporter name ({@code none},
 * {@code otlp} or an SPI provider's), an OTLP endpoint, and the standard {@code OTEL_*} variables.
 * Off, no span is made and a valid incoming traceparent is handed on as it came.
 */
final class GatewayTracing implements AutoCloseable {

    /** How the gateway traces: {@code exporter} {@code none} (the default) makes no spans. */
    record Settings(String exporter, String otlpEndpoint) {
        static final Settings OFF = new Settings("none", "");

        Settings {
            exporter = exporter == null || exporter.isBlank() ? "none" : exporter;
            otlpEndpoint = otlpEndpoint == null ? "" : otlpEndpoint;
        }
    }

    static final String SPAN = "gateway";
    private static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("sluice.request_id");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;

    private GatewayTracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        this.tracer = sdk == null ? null : sdk.getTracer("io.sluice.gateway");
    }

    static GatewayTracing open(Settings settings) {
        if (settings.exporter().equals("none")) {
            return new GatewayTracing(null);
        }
        Map<String, String> properties = new HashMap<>();
        properties.put("otel.traces.exporter", settings.exporter());
        properties.put("otel.metrics.exporter", "none"); // the gateway's metrics are its /metrics
        properties.put("otel.logs.exporter", "none");
        properties.put("otel.service.name", "sluice-gateway");
        properties.put("otel.exporter.otlp.protocol", "http/protobuf");
        if (!settings.otlpEndpoint().isEmpty()) {
            properties.put("otel.exporter.otlp.endpoint", settings.otlpEndpoint());
        }
        return new GatewayTracing(AutoConfiguredOpenTelemetrySdk.builder().addPropertiesSupplier(() -> properties)
                .setServiceClassLoader(GatewayTracing.class.getClassLoader()).disableShutdownHook().build()
                .getOpenTelemetrySdk());
    }

    /** A chat completion's span: started at {@code arrivedMicros} (epoch), ended by {@link #end}. */
    final class Request {
        private final Span span;
        private final String passedOn;

        private Request(Span span, String passedOn) {
            this.span = span;
            this.passedOn = passedOn;
        }

        /** The traceparent the request's record carries to the job; null: none (the job starts one). */
        String traceParent() {
            if (span == null) {
                return passedOn;
            }
            SpanContext c = span.getSpanContext();
            return TraceParent.of(c.getTraceId(), c.getSpanId(), c.isSampled());
        }

        /** Ends the span when the response ended with {@code status}; 5xx marks it failed. */
        void end(int status) {
            if (span != null) {
                span.setAttribute(STATUS, (long) status);
                if (status >= 500) {
                    span.setStatus(StatusCode.ERROR);
                }
                span.end();
            }
        }
    }

    /** Starts the span of the request {@code requestId} that came with {@code traceparent} (or none). */
    Request start(String traceparent, String requestId, long arrivedMicros) {
        String parent = TraceParent.valid(traceparent);
        if (tracer == null) {
            return new Request(null, parent);
        }
        var builder = tracer.spanBuilder(SPAN).setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(arrivedMicros, TimeUnit.MICROSECONDS).setAttribute(REQUEST_ID, requestId);
        if (parent != null) {
            builder.setParent(Context.root().with(Span.wrap(SpanContext.createFromRemoteParent(
                    TraceParent.traceId(parent), TraceParent.spanId(parent), TraceParent.sampled(parent)
                            ? TraceFlags.getSampled() : TraceFlags.getDefault(), TraceState.getDefault()))));
        } else {
            builder.setNoParent();
        }
        return new Request(builder.startSpan(), null);
    }

    @Override
    public void close() {
        if (sdk != null) {
            sdk.close();
        }
    }
}
