package io.sluice.cli;

import io.sluice.local.LocalCluster;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code sluice cluster start|submit|stop}: a standalone Flink session cluster of separate processes
 * on this machine, from this build's Flink jars and {@code flink-conf/}, and the job jar submitted
 * to it with Flink's own client.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "A standalone Flink cluster on this machine (JobManager and TaskManager processes).",
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Submit.class, ClusterCommand.Stop.class})
final class ClusterCommand implements Runnable {

    static final Path WORK_DIR = Path.of(".sluice", "cluster");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static Path root() {
        return Path.of("").toAbsolutePath();
    }

    static String classpath() throws IOException {
        Path file = root().resolve("flink-conf/target/cluster-classpath.txt");
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is missing: build first (mvn -B -DskipTests install, or any ./sluice command)");
        }
        return Files.readString(file).strip();
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a JobManager and TaskManagers as background processes (logs in .sluice/cluster/log).")
    static final class Start implements Callable<Integer> {
        @Option(names = "--task-managers", description = "TaskManager processes (default: ${DEFAULT-VALUE}).")
        int taskManagers = 2;

        @Option(names = "-D", mapFallbackValue = "", description = "Any Flink setting on top of flink-conf/config.yaml.")
        Map<String, String> settings = Map.of();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (Files.isRegularFile(WORK_DIR.resolve("rest-port"))) {
                throw new IllegalStateException("A cluster is already running from " + WORK_DIR + "; sluice cluster stop first");
            }
            LocalCluster cluster = LocalCluster.start(WORK_DIR, root().resolve("flink-conf"), classpath(), taskManagers,
                    settings);
            cluster.detach();
            spec.commandLine().getOut().println("Flink cluster running: JobManager and " + taskManagers
                    + " TaskManagers; REST API at http://" + cluster.restAddress());
            return 0;
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = "Submit the shaded serving job jar with `flink run` (arguments after -- go to the job, "
                    + "e.g. -- --sluice.index.dir /data/index).")
    static final class Submit implements Callable<Integer> {
        @Option(names = "--parallelism", description = "Job parallelism (default: the cluster's).")
        Integer parallelism;

        @Option(names = "--from-savepoint", description = "Start from this savepoint, claiming it: the job deletes it "
                + "once newer checkpoints replace it (the changelog state backend restores no other way).")
        String savepoint;

        @Parameters(description = "Arguments of the job.")
        List<String> args = List.of();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            Path jar;
            try (Stream<Path> built = Files.list(root().resolve("jobs/target"))) {
                jar = built.filter(p -> p.getFileName().toString().endsWith("-job.jar")).findFirst()
                        .orElseThrow(() -> new IOException("No job jar in jobs/target: mvn -B -DskipTests package"));
            }
            List<String> options = new ArrayList<>();
            if (parallelism != null) {
                options.addAll(List.of("--parallelism", parallelism.toString()));
            }
            if (savepoint != null) {
                // The changelog state backend restores only by claiming (config.yaml); flink run
                // does not take the claim mode from the configuration.
                options.addAll(List.of("--fromSavepoint", savepoint, "--claimMode", "claim"));
            }
            LocalCluster cluster = LocalCluster.attach(WORK_DIR, root().resolve("flink-conf"), classpath());
            spec.commandLine().getOut().println("Submitted job " + cluster.submit(jar, options, args));
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop the cluster's processes.")
    static final class Stop implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            int stopped = LocalCluster.stop(WORK_DIR);
            spec.commandLine().getOut().println(stopped == 0 ? "No cluster processes were running"
                    : "Stopped " + stopped + " cluster processes");
            return 0;
        }
    }
}
