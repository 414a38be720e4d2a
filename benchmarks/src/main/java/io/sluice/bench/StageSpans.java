package io.sluice.bench;

import io.sluice.operators.batch.QuestionEmbedder;
import io.sluice.operators.trace.Tracing;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import org.apache.flink.configuration.Configuration;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The serving job's own spans, kept by request id: when each request entered and left each stage.
 * The job traces as any deployment does ({@code sluice.tracing.exporter}); this exporter, found by
 * OpenTelemetry's autoconfiguration through this module's {@code META-INF/services}, keeps only the
 * stage spans' times and when the embedding call returned (no attributes, no trace tree), so that a
 * run of thousands of requests stays small. The benchmark's jobs run in its own JVM, so the
 * exporter the job's SDK creates there hands its times to this class's one map.
 */
public final class StageSpans implements ConfigurableSpanExporterProvider {

    static final String NAME = "sluice-bench-stages";

    private static final Map<String, StageTimes.Builder> BY_REQUEST = new ConcurrentHashMap<>();

    /**
     * Turns the job's tracing on with this exporter, and sizes the SDK's span queue for a benchmark's
     * rates: the batch processor drops what does not fit in its queue (2,048 spans by default, some
     * two seconds at 200 requests/s), and a dropped span is a request with no breakdown.
     */
    static void enable(Configuration conf) {
        conf.setString("sluice.tracing.exporter", NAME);
        System.setProperty("otel.bsp.max.queue.size", "200000");
        System.setProperty("otel.bsp.schedule.delay", "500");
    }

    /** Forgets what was kept: before a rate, so that its breakdown holds only its requests. */
    static void clear() {
        BY_REQUEST.clear();
    }

    /** The stage times of request {@code requestId}, or null when none of its spans was exported. */
    static StageTimes of(String requestId) {
        StageTimes.Builder b = BY_REQUEST.get(requestId);
        return b == null ? null : b.build();
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public SpanExporter createExporter(ConfigProperties config) {
        return Tracing.exporterTo(StageSpans::keep);
    }

    /** Keeps each stage span's times under its request. */
    private static void keep(Collection<SpanData> spans) {
        for (SpanData span : spans) {
            String requestId = span.getAttributes().get(Tracing.REQUEST_ID);
            StageTimes.Stage stage = StageTimes.Stage.named(span.getName());
            if (requestId != null && stage != null) {
                StageTimes.Builder times = BY_REQUEST.computeIfAbsent(requestId, id -> new StageTimes.Builder())
                        .set(stage, TimeUnit.NANOSECONDS.toMicros(span.getStartEpochNanos()),
                                TimeUnit.NANOSECONDS.toMicros(span.getEndEpochNanos()));
                for (EventData e : span.getEvents()) {
                    if (e.getName().equals(QuestionEmbedder.CALL_ENDED)) {
                        times.embedCallEnded(TimeUnit.NANOSECONDS.toMicros(e.getEpochNanos()));
                    }
                }
            }
        }
    }
}
