package io.sluice.operators.trace;

import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.TraceParent;

import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TracingTest {

    private static final String CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private final InMemorySpanExporter exported = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
            .setIdGenerator(Tracing.idGenerator()).addSpanProcessor(SimpleSpanProcessor.create(exported)).build())
            .build();
    private final Tracing tracing = Tracing.with(sdk);

    @AfterEach
    void close() {
        sdk.close();
    }

    private static ChatRequest request(String traceParent) {
        return new ChatRequest("r-1", "acme", "c-1", "hi", 5, 1024, 1L, 3, 42L).withTraceParent(traceParent);
    }

    private SpanData named(String name) {
        return exported.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void eachStagesSpanIsTheChildOfTheOneBeforeInTheCallersTrace() {
        ChatRequest request = request(CALLER);
        Tracing.StageSpan validate = tracing.start("validate", request);
        request = validate.on(request);
        validate.end();
        Tracing.StageSpan admission = tracing.start("admission", request);
        request = admission.on(request);
        admission.failed("RATE_LIMITED").end();

        assertThat(named("validate").getTraceId()).isEqualTo(TraceParent.traceId(CALLER));
        assertThat(named("validate").getParentSpanId()).isEqualTo(TraceParent.spanId(CALLER));
        assertThat(named("admission").getParentSpanId()).isEqualTo(named("validate").getSpanId());
        assertThat(request.traceParent()).isEqualTo(TraceParent.of(TraceParent.traceId(CALLER),
                named("admission").getSpanId(), true));
        assertThat(named("admission").getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(named("validate").getAttributes().get(Tracing.REQUEST_ID)).isEqualTo("r-1");
    }

    @Test
    void aRequestWithoutATraceparentStartsTheTraceItsPositionNames() {
        Tracing.StageSpan validate = tracing.start("validate", request(null));
        Tracing.StageSpan model = tracing.child(validate, "model", Tracing.nowMicros());
        model.end();
        validate.end();
        assertThat(named("validate").getTraceId()).isEqualTo(TraceParent.derivedTraceId(3, 42L));
        assertThat(named("validate").getParentSpanContext().isValid()).as("a root").isFalse();
        assertThat(named("model").getParentSpanId()).isEqualTo(named("validate").getSpanId());
        // Only roots take the derived id: other spans' ids stay random.
        assertThat(tracing.start("other", request(CALLER)).traceParent()).contains(TraceParent.traceId(CALLER));
    }

    @Test
    void offNothingIsMadeAndTheContextPassesThrough() {
        Tracing off = Tracing.open(TracingOptions.settings(Map.of()));
        assertThat(off).isSameAs(Tracing.OFF);
        ChatRequest request = request(CALLER);
        Tracing.StageSpan span = off.start("validate", request);
        assertThat(span.on(request)).isSameAs(request);
        assertThat(span.traceParent()).isEqualTo(CALLER);
        assertThat(off.child(span, "model", 0).traceParent()).isEqualTo(CALLER);
        span.failed("x").end();
        assertThat(off.start("validate", request(null)).traceParent()).isNull();
        assertThat(exported.getFinishedSpanItems()).isEmpty();
        assertThat(TracingOptions.settings(Map.of("sluice.tracing.exporter", "otlp")).enabled()).isTrue();
    }
}
