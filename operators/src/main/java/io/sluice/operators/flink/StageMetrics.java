package io.sluice.operators.flink;

import io.sluice.schemas.Injection;
import io.sluice.schemas.RejectReason;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

import java.util.EnumMap;
import java.util.Map;

/**
 * The metrics of one request-path stage, registered under {@code sluice.<stage>}: records passed
 * on ({@code passed}), records rejected ({@code rejected.reason.turns}, labelled {@code reason}: the
 * rejection code in lower case, so one query sums or splits them), and a latency histogram in
 * microseconds. Stage names match the stage names in the docs.
 */
public final class StageMetrics {

    private static final int HISTOGRAM_WINDOW = 1024;

    private final MetricGroup group;
    private final Counter passed;
    private final Map<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);
    private final Map<String, Counter> redacted = new java.util.HashMap<>();
    private final Histogram latencyMicros;
    private Counter injectionMessages;
    private Counter injectionSources;
    private Counter injectionStripped;

    public StageMetrics(MetricGroup parent, String stage) {
        this.group = parent.addGroup("sluice").addGroup(stage);
        this.passed = group.counter("passed");
        this.latencyMicros = group.histogram("latency_micros",
                new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
    }

    public void passed() {
        passed.inc();
    }

    /**
     * Personal data a passed request had redacted: {@code sluice.<stage>.redacted.kind.spans},
     * labelled {@code kind} ({@code email}, {@code phone}, ...: the detector's fixed set).
     */
    public void redacted(Map<String, Integer> counts) {
        counts.forEach((kind, n) -> redacted.computeIfAbsent(kind, k -> group.addGroup("redacted")
                .addGroup("kind", k.toLowerCase(java.util.Locale.ROOT)).counter("spans")).inc(n));
    }

    /**
     * What a passed turn had flagged as prompt injection: {@code sluice.<stage>.injection.messages}
     * (turns whose message or brought turns were flagged), {@code .sources} (sources flagged) and
     * {@code .stripped} (flagged sources left out of the context).
     */
    public void injection(Injection injection) {
        if (!injection.any()) {
            return;
        }
        if (injectionMessages == null) {
            MetricGroup g = group.addGroup("injection");
            injectionMessages = g.counter("messages");
            injectionSources = g.counter("sources");
            injectionStripped = g.counter("stripped");
        }
        if (!injection.message().isEmpty()) {
            injectionMessages.inc();
        }
        injectionSources.inc(injection.sources().size());
        if (injection.stripped()) {
            injectionStripped.inc(injection.sources().size());
        }
    }

    public void rejected(RejectReason reason) {
        rejected.computeIfAbsent(reason, r -> rejectedCounter(group, r)).inc();
    }

    /** The counter of {@code reason}'s rejections in stage group {@code stage}: {@code rejected.reason.turns}. */
    static Counter rejectedCounter(MetricGroup stage, RejectReason reason) {
        return stage.addGroup("rejected").addGroup("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
                .counter("turns");
    }

    public void latency(long micros) {
        latencyMicros.update(micros);
    }
}
