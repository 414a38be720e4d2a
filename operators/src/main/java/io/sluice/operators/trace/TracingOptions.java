package io.sluice.operators.trace;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;

import java.util.Map;

/** The options of {@link Tracing}; {@code ServingOptions} lists them with the job's others. */
public final class TracingOptions {

    private TracingOptions() {}

    public static final ConfigOption<String> EXPORTER = ConfigOptions.key("sluice.tracing.exporter").stringType()
            .defaultValue("none").withDescription("Where spans of the request path go: 'none' (no spans are "
                    + "made; requests still carry the trace context they came with), 'otlp', or the name of any "
                    + "OpenTelemetry span exporter provider on the classpath. Other exporter settings come from "
                    + "the standard OTEL_* environment variables.");

    public static final ConfigOption<String> OTLP_ENDPOINT = ConfigOptions.key("sluice.tracing.otlp-endpoint")
            .stringType().defaultValue("").withDescription("The OTLP endpoint spans are sent to over HTTP "
                    + "(for example http://otel-collector:4318); empty: OTEL_EXPORTER_OTLP_ENDPOINT or "
                    + "OpenTelemetry's default.");

    public static final ConfigOption<String> SERVICE_NAME = ConfigOptions.key("sluice.tracing.service-name")
            .stringType().defaultValue("sluice").withDescription("The service name spans carry.");

    /** The settings in {@code parameters} (the job's global parameters; missing keys: their defaults). */
    public static Tracing.Settings settings(Map<String, String> parameters) {
        Configuration conf = Configuration.fromMap(parameters);
        return new Tracing.Settings(conf.get(EXPORTER), conf.get(OTLP_ENDPOINT), conf.get(SERVICE_NAME));
    }
}
