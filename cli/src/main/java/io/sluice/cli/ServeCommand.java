package io.sluice.cli;

import org.apache.flink.configuration.Configuration;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code sluice serve}: the serving job in a local MiniCluster against existing Kafka and
 * PostgreSQL, for development. On a cluster, submit the shaded job jar with {@code flink run}.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the serving job in a local MiniCluster against existing Kafka and PostgreSQL.")
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Mixin
    ServingSetup setup;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Configuration conf = setup.configuration();
        CountDownLatch stopped = new CountDownLatch(1);
        try (ServingRun run = ServingRun.start(conf)) {
            spec.commandLine().getErr().println("Serving snapshot " + run.settings().snapshotId()
                    + (run.settings().followPromotions() ? " (and the ones promoted after it)" : " (pinned)")
                    + "; Ctrl-C stops the job.");
            spec.commandLine().getErr().flush();
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "sluice-serve-shutdown"));
            run.job().getJobExecutionResult().whenComplete((r, e) -> stopped.countDown());
            stopped.await();
        }
        return 0;
    }
}
