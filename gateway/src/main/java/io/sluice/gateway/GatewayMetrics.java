package io.sluice.gateway;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;
import io.prometheus.client.exporter.common.TextFormat;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * A gateway instance's metrics, in the Prometheus text format at {@code GET /metrics}, named as the
 * job's are: {@code sluice_gateway_<name>} in snake_case, base units (seconds). Each instance has a
 * registry of its own, so instances in one JVM (tests) count apart.
 *
 * <ul>
 *   <li>{@code sluice_gateway_requests_total{endpoint, status}}: HTTP requests answered, by endpoint
 *       (a fixed set, see {@link #endpoint}: no label value comes from the caller) and status code;
 *   <li>{@code sluice_gateway_request_seconds{endpoint}}: from arrival to the response's end (a
 *       streamed answer's whole stream);
 *   <li>{@code sluice_gateway_first_token_seconds}: from a chat completion's arrival to its first
 *       answer text written (a streamed answer's first piece; an unstreamed one's whole response):
 *       what a user waits for, the latency objective's measure;
 *   <li>{@code sluice_gateway_added_seconds{part}}: the time the gateway adds, {@code inbound} (HTTP
 *       in to the Kafka producer) and {@code outbound} (reply polled to the HTTP response written);
 *   <li>{@code sluice_gateway_overloaded_total}: chat completions refused with a 503
 *       ({@code overloaded}) because the instance already waited for {@code --max-waiting} answers;
 *   <li>{@code sluice_gateway_in_flight}: requests being answered now.
 * </ul>
 * The {@link GatewayLatency} samples the gateway benchmark reads are kept beside.
 */
public final class GatewayMetrics {

    /**
     * Bucket bounds of the seconds histograms: 0.2 s is one, so the latency objective (p99 of the
     * first token within 200 ms) is a ratio of two counters, which burn-rate alerts can sum.
     */
    private static final double[] SECONDS_BUCKETS =
            {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final CollectorRegistry registry = new CollectorRegistry(true);
    private final GatewayLatency latency = new GatewayLatency();
    private final Counter requests = Counter.build("sluice_gateway_requests_total",
            "HTTP requests answered, by endpoint and status").labelNames("endpoint", "status").register(registry);
    private final Histogram requestSeconds = Histogram.build("sluice_gateway_request_seconds",
            "Time from a request's arrival to its response's end").labelNames("endpoint")
            .buckets(SECONDS_BUCKETS).register(registry);
    private final Histogram firstTokenSeconds = Histogram.build("sluice_gateway_first_token_seconds",
            "Time from a chat completion's arrival to its first answer text written (the whole response unstreamed)")
            .buckets(SECONDS_BUCKETS).register(registry);
    private final Counter overloadedTotal = Counter.build("sluice_gateway_overloaded_total",
            "Chat completions refused (503 overloaded) because the instance waited for --max-waiting answers")
            .register(registry);
    private final Histogram addedSeconds = Histogram.build("sluice_gateway_added_seconds",
            "Time the gateway adds: inbound (HTTP in to Kafka producer), outbound (reply polled to HTTP out)")
            .labelNames("part").buckets(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
            .register(registry);
    /** The gauge of requests being answered, which the Kubernetes autoscaler scales instances on. */
    public static final String IN_FLIGHT = "sluice_gateway_in_flight";

    private final Gauge inFlight = Gauge.build(IN_FLIGHT, "Requests being answered now")
            .register(registry);

    /** The endpoint label of a request path: one of a fixed set. */
    static String endpoint(String path) {
        if (path == null) {
            return "other";
        }
        if (path.equals("/v1/chat/completions")) {
            return "chat_completions";
        }
        if (path.equals("/v1/models")) {
            return "models";
        }
        if (path.startsWith("/v1/sluice/requests/")) {
            return "requests";
        }
        if (path.equals("/v1/sluice/me")) {
            return "me";
        }
        if (path.equals("/metrics")) {
            return "metrics";
        }
        if (path.equals("/") || path.equals("/chat") || path.startsWith("/chat/")) {
            return "chat_page";
        }
        return "other";
    }

    /** A request arrived. */
    void started() {
        inFlight.inc();
    }

    /** A request to {@code path} ended with {@code status}, {@code nanos} after it arrived. */
    void ended(String path, int status, long nanos) {
        inFlight.dec();
        String endpoint = endpoint(path);
        requests.labels(endpoint, Integer.toString(status)).inc();
        requestSeconds.labels(endpoint).observe(nanos / 1e9);
    }

    /** A chat completion's first answer text was written {@code nanos} after it arrived. */
    void firstToken(long nanos) {
        firstTokenSeconds.observe(nanos / 1e9);
    }

    /** A chat completion was refused: the instance waited for as many answers as it may. */
    void overloaded() {
        overloadedTotal.inc();
    }

    /** HTTP in to the Kafka producer took {@code nanos}. */
    void inbound(long nanos) {
        latency.inbound.record(nanos);
        addedSeconds.labels("inbound").observe(nanos / 1e9);
    }

    /** Reply polled to the HTTP response's last write issued took {@code nanos}. */
    void outbound(long nanos, long inboundNanos) {
        latency.outbound.record(nanos);
        latency.added.record(inboundNanos + nanos);
        addedSeconds.labels("outbound").observe(nanos / 1e9);
    }

    GatewayLatency latency() {
        return latency;
    }

    /** The exposition, Prometheus text format 0.0.4. */
    String scrape() {
        StringWriter out = new StringWriter();
        try {
            TextFormat.write004(out, registry.metricFamilySamples());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
