package io.sluice.operators.trace;

import io.sluice.model.SharedModels;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.TraceParent;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.io.Serializable;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The request path's spans (OpenTelemetry): one per stage a request passes, each the child of the
 * one before, so a trace shows where a request spent its time. The parent travels in the record
 * ({@link ChatRequest#traceParent}): a stage starts its span from it and hands its own on
 * ({@link StageSpan#on}). A request that came without a traceparent starts a trace whose id is
 * derived from its position ({@link TraceParent#derivedTraceId}), so a replay names the same trace.
 *
 * <p>Off ({@link Settings#OFF}, the default), nothing is created and requests keep the context they
 * came with. On, one SDK per TaskManager and settings is shared by every subtask (a
 * {@link SharedModels} lease) and configured as any OpenTelemetry SDK is: the exporter named by
 * {@code sluice.tracing.exporter} ({@code otlp}, or any exporter an SPI provider on the classpath
 * names), the endpoint by {@code sluice.tracing.otlp-endpoint}, and everything else by the standard
 * {@code OTEL_*} environment variables and {@code otel.*} system properties. Spans are exported in
 * batches off the task thread.
 */
public final class Tracing implements AutoCloseable {

    /** How the job traces; serializable, as part of an operator. */
    public record Settings(String exporter, String otlpEndpoint, String serviceName) implements Serializable {
        /** No traces: the default. */
        public static final Settings OFF = new Settings("none", "", "sluice");

        public Settings {
            exporter = exporter == null || exporter.isBlank() ? "none" : exporter;
            otlpEndpoint = otlpEndpoint == null ? "" : otlpEndpoint;
            serviceName = serviceName == null || serviceName.isBlank() ? "sluice" : serviceName;
        }

        public boolean enabled() {
            return !exporter.equals("none");
        }
    }

    /**
     * The wall clock in microseconds, as spans are timed: to the microsecond, as the SDK ends them,
     * so that a stage shorter than a millisecond is not stretched by a start rounded down to one.
     */
    public static long nowMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** Tracing that creates nothing. */
    public static final Tracing OFF = new Tracing(null, null);

    /** The attribute naming the request on every span, so a trace can be found from a request id. */
    public static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("sluice.request_id");
    public static final AttributeKey<String> TENANT = AttributeKey.stringKey("sluice.tenant");

    /** The trace id a root span gets instead of a random one, for the thread starting it. */
    private static final ThreadLocal<String> NEXT_TRACE_ID = new ThreadLocal<>();

    private final SharedModels.Lease<OpenTelemetrySdk> lease;
    private final Tracer tracer;

    private Tracing(SharedModels.Lease<OpenTelemetrySdk> lease, Tracer tracer) {
        this.lease = lease;
        this.tracer = tracer;
    }

    /** Tracing as {@code settings} say; close it when the operator closes. */
    public static Tracing open(Settings settings) {
        if (!settings.enabled()) {
            return OFF;
        }
        SharedModels.Lease<OpenTelemetrySdk> lease = SharedModels.acquire("tracing|" + settings.exporter() + "|"
                + settings.otlpEndpoint() + "|" + settings.serviceName(), () -> sdk(settings));
        return new Tracing(lease, lease.get().getTracer("io.sluice"));
    }

    /**
     * The id generator that gives a request without a traceparent its derived trace id; an SDK given
     * to {@link #with} should use it.
     */
    public static IdGenerator idGenerator() {
        return DERIVED_ROOTS;
    }

    /**
     * A span exporter that hands each batch of finished spans to {@code sink} and outlives the SDK's
     * shutdown, for the exporter providers that keep spans in the process (tests, {@code bench
     * serving --stages}): spans are flushed when a job's tracing closes, and are read after that.
     */
    public static SpanExporter exporterTo(Consumer<Collection<SpanData>> sink) {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                sink.accept(spans);
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }

    /** Tracing through an SDK the caller owns (tests, the gateway's own). */
    public static Tracing with(OpenTelemetry openTelemetry) {
        return new Tracing(null, openTelemetry.getTracer("io.sluice"));
    }

    private static OpenTelemetrySdk sdk(Settings settings) {
        Map<String, String> properties = new HashMap<>();
        properties.put("otel.traces.exporter", settings.exporter());
        properties.put("otel.metrics.exporter", "none"); // metrics go through Flink's reporter
        properties.put("otel.logs.exporter", "none");
        properties.put("otel.service.name", settings.serviceName());
        // Over HTTP: the JDK's client sends it, with no gRPC or OkHttp on the classpath.
        properties.put("otel.exporter.otlp.protocol", "http/protobuf");
        if (!settings.otlpEndpoint().isEmpty()) {
            properties.put("otel.exporter.otlp.endpoint", settings.otlpEndpoint());
        }
        return AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> properties)
                .addTracerProviderCustomizer((builder, config) -> builder.setIdGenerator(DERIVED_ROOTS))
                .setServiceClassLoader(Tracing.class.getClassLoader())
                .disableShutdownHook() // closed with the last subtask's lease, not at JVM exit
                .build().getOpenTelemetrySdk();
    }

    /** Random ids, except a root span's trace id when {@link #NEXT_TRACE_ID} holds one. */
    private static final IdGenerator DERIVED_ROOTS = new IdGenerator() {
        private final IdGenerator random = IdGenerator.random();

        @Override
        public String generateSpanId() {
            return random.generateSpanId();
        }

        @Override
        public String generateTraceId() {
            String derived = NEXT_TRACE_ID.get();
            return derived != null ? derived : random.generateTraceId();
        }
    };

    public boolean enabled() {
        return tracer != null;
    }

    /** Starts stage {@code stage}'s span for {@code request} now. */
    public StageSpan start(String stage, ChatRequest request) {
        return start(stage, request, nowMicros());
    }

    /** Starts stage {@code stage}'s span for {@code request}, begun at {@code startMicros} (epoch). */
    public StageSpan start(String stage, ChatRequest request, long startMicros) {
        if (tracer == null) {
            return new StageSpan(null, request.traceParent());
        }
        var builder = tracer.spanBuilder(stage).setStartTimestamp(startMicros, TimeUnit.MICROSECONDS)
                .setAttribute(REQUEST_ID, request.requestId()).setAttribute(TENANT, request.tenantId());
        Span span;
        if (request.traceParent() != null) {
            String parent = request.traceParent();
            SpanContext remote = SpanContext.createFromRemoteParent(TraceParent.traceId(parent),
                    TraceParent.spanId(parent), TraceParent.sampled(parent) ? TraceFlags.getSampled()
                            : TraceFlags.getDefault(), TraceState.getDefault());
            span = builder.setParent(Context.root().with(Span.wrap(remote))).startSpan();
        } else {
            NEXT_TRACE_ID.set(TraceParent.derivedTraceId(request.partition(), request.offset()));
            try {
                span = builder.setNoParent().startSpan();
            } finally {
                NEXT_TRACE_ID.remove();
            }
        }
        return new StageSpan(span, null);
    }

    /** Starts {@code name}'s span as a child of {@code parent}'s (a model call in a turn), begun at {@code startMicros}. */
    public StageSpan child(StageSpan parent, String name, long startMicros) {
        if (tracer == null || parent.span == null) {
            return new StageSpan(null, parent.traceParent());
        }
        return new StageSpan(tracer.spanBuilder(name).setStartTimestamp(startMicros, TimeUnit.MICROSECONDS)
                .setParent(Context.root().with(parent.span)).startSpan(), null);
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }

    /** One stage's span (or, tracing off, the context the request came with). */
    public static final class StageSpan {
        private final Span span;
        private final String passedOn;

        private StageSpan(Span span, String passedOn) {
            this.span = span;
            this.passedOn = passedOn;
        }

        /** The traceparent the next stage starts from: this span's, or the one the request came with. */
        public String traceParent() {
            if (span == null) {
                return passedOn;
            }
            SpanContext c = span.getSpanContext();
            return TraceParent.of(c.getTraceId(), c.getSpanId(), c.isSampled());
        }

        /** {@code request} in this span's context, to hand on to the next stage. */
        public ChatRequest on(ChatRequest request) {
            return span == null ? request : request.withTraceParent(traceParent());
        }

        /** Adds an attribute (a profile, a snapshot): the span's, not the request's, data. */
        public StageSpan attribute(String key, String value) {
            if (span != null && value != null) {
                span.setAttribute(key, value);
            }
            return this;
        }

        public StageSpan attribute(String key, long value) {
            if (span != null) {
                span.setAttribute(key, value);
            }
            return this;
        }

        /** Marks the span failed: a rejection's reason, a model's error. */
        public StageSpan failed(String description) {
            if (span != null) {
                span.setStatus(StatusCode.ERROR, description);
            }
            return this;
        }

        /** Marks the moment {@code name} happened inside the span, at {@code epochMicros}. */
        public StageSpan event(String name, long epochMicros) {
            if (span != null) {
                span.addEvent(name, epochMicros, TimeUnit.MICROSECONDS);
            }
            return this;
        }

        /** Ends the span now. */
        public void end() {
            if (span != null) {
                span.end();
            }
        }

        /** Ends the span at {@code endMicros} (epoch). */
        public void end(long endMicros) {
            if (span != null) {
                span.end(endMicros, TimeUnit.MICROSECONDS);
            }
        }
    }
}
