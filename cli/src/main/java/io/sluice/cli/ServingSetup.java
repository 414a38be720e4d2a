package io.sluice.cli;

import io.sluice.jobs.config.ServingOptions;

import org.apache.flink.configuration.Configuration;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/** The options that locate a serving job's index, Kafka and audit trail (shared by serve and replay). */
final class ServingSetup {

    @Option(names = "--index-dir", required = true, description = "Directory of index snapshots.")
    Path indexDir;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka brokers.")
    String bootstrapServers;

    @Option(names = "--jdbc-url", required = true, description = "PostgreSQL JDBC URL of the audit trail.")
    String jdbcUrl;

    @Option(names = "--flink-conf", description = "Directory with config.yaml (default: ./flink-conf if present).")
    Path flinkConf;

    @Option(names = "-D", mapFallbackValue = "", description = "Any setting, e.g. -D sluice.responses.delivery=EXACTLY_ONCE.")
    Map<String, String> settings = Map.of();

    /** config.yaml, then these options, then the -D settings. */
    Configuration configuration() {
        Configuration conf = FlinkConf.load(flinkConf);
        conf.set(ServingOptions.INDEX_DIR, indexDir.toAbsolutePath().toString());
        conf.set(ServingOptions.KAFKA_BOOTSTRAP_SERVERS, bootstrapServers);
        conf.set(ServingOptions.AUDIT_JDBC_URL, jdbcUrl);
        conf.addAll(Configuration.fromMap(settings));
        return conf;
    }
}
