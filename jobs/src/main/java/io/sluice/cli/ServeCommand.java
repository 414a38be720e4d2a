package io.sluice.cli;

import io.sluice.jobs.config.ServingOptions;

import org.apache.flink.configuration.Configuration;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sluice serve}: the serving job in a local MiniCluster against existing Kafka and
 * PostgreSQL, for development. On a cluster, submit the shaded job jar with {@code flink run}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the serving job in a local MiniCluster against existing Kafka and PostgreSQL.")
final class ServeCommand implements Callable<Integer> {

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

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Configuration conf = FlinkConf.load(flinkConf);
        conf.set(ServingOptions.INDEX_DIR, indexDir.toAbsolutePath().toString());
        conf.set(ServingOptions.BOOTSTRAP_SERVERS, bootstrapServers);
        conf.set(ServingOptions.AUDIT_JDBC_URL, jdbcUrl);
        conf.addAll(Configuration.fromMap(settings));
        CountDownLatch stopped = new CountDownLatch(1);
        try (ServingRun run = ServingRun.start(conf)) {
            spec.commandLine().getErr().println("Serving snapshot " + run.settings().snapshotId()
                    + "; Ctrl-C stops the job.");
            spec.commandLine().getErr().flush();
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "sluice-serve-shutdown"));
            run.job().getJobExecutionResult().whenComplete((r, e) -> stopped.countDown());
            stopped.await();
        }
        return 0;
    }
}
