package io.sluice.jobs.testing;

import io.sluice.operators.trace.Tracing;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A span exporter for tests, found by OpenTelemetry's autoconfiguration as any exporter provider is
 * (this module's {@code META-INF/services}): {@code sluice.tracing.exporter: sluice-test-memory} makes
 * a job in this JVM keep its spans here, where the test reads them.
 */
public final class MemorySpans implements ConfigurableSpanExporterProvider {

    public static final String NAME = "sluice-test-memory";

    private static final int MAX_SPANS = 20_000;
    private static final ConcurrentLinkedQueue<SpanData> SPANS = new ConcurrentLinkedQueue<>();

    /** Every span exported so far, in export order. */
    public static List<SpanData> all() {
        return List.copyOf(SPANS);
    }

    /** Spans of trace {@code traceId}. */
    public static List<SpanData> ofTrace(String traceId) {
        return SPANS.stream().filter(s -> s.getTraceId().equals(traceId)).toList();
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public SpanExporter createExporter(ConfigProperties config) {
        // Shutting the SDK down (the job's end) must not lose what a later assertion reads.
        return Tracing.exporterTo(spans -> {
            SPANS.addAll(spans);
            while (SPANS.size() > MAX_SPANS) {
                SPANS.poll(); // the oldest: long runs (a thousand requests) stay small
            }
        });
    }
}
