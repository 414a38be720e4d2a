package io.sluice.operators.flink;

import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import org.apache.flink.api.common.ExecutionConfig;
import org.apache.flink.configuration.Configuration;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The spans of operators under a test harness: OpenTelemetry finds this exporter provider (this
 * module's test {@code META-INF/services}), and {@link #traced} makes the operator's tracing use it.
 * Spans are kept when the operator's tracing shuts down, which is when they are flushed.
 */
public final class HarnessSpans implements ConfigurableSpanExporterProvider {

    static final String NAME = "sluice-harness-spans";
    private static final ConcurrentLinkedQueue<SpanData> SPANS = new ConcurrentLinkedQueue<>();

    /** Every span exported so far, in export order. */
    static List<SpanData> all() {
        return List.copyOf(SPANS);
    }

    /** Makes operators opened with {@code config} trace their requests into this exporter. */
    static void traced(ExecutionConfig config) {
        config.setGlobalJobParameters(Configuration.fromMap(Map.of(TracingOptions.EXPORTER.key(), NAME)));
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public SpanExporter createExporter(ConfigProperties config) {
        return Tracing.exporterTo(SPANS::addAll);
    }
}
