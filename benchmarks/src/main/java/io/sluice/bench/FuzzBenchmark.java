package io.sluice.bench;

import io.sluice.cli.FlinkConf;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.fuzz.FuzzReport;
import io.sluice.local.fuzz.FuzzRequests;
import io.sluice.local.fuzz.FuzzRun;
import io.sluice.cli.FuzzServing;
import io.sluice.local.LocalStack;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.operators.audit.AuditStore;
import io.sluice.operators.audit.AuditVerifier;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fuzz gauntlet at any size: the generator of {@code ServingFuzzITCase} (extractive answers only:
 * no remote model runs here) against the serving job on embedded Kafka and PostgreSQL. Prints the
 * table of outcomes per kind of case, the violations if any, and whether the audit trail holds
 * exactly the answered turns with every chain intact. Exit code 1 on any violation.
 */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = "Send N seeded valid and adversarial requests through the serving job and check every outcome.")
public final class FuzzBenchmark implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--requests", description = "Records to send (default: ${DEFAULT-VALUE}).")
    int requests = 10_000;

    @Option(names = "--seed", description = "Generator seed (default: random, printed).")
    Long seed;

    @Option(names = "--work-dir", description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of(".sluice", "bench-fuzz");

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "fuzz.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        long s = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        log.println("seed " + s + " (rerun with --seed " + s + ")");
        log.flush();
        List<FuzzRequests.FuzzCase> cases = FuzzRequests.generate(s, requests, false, FuzzServing.MAX_MESSAGE_CHARS,
                ServingOptions.REQUESTS_MAX_BYTES.defaultValue());
        try (LocalStack stack = LocalStack.start(workDir.resolve("services"), LocalStack.External.NONE, 2)) {
            Configuration conf = FlinkConf.load(null);
            conf.addAll(FuzzServing.configuration(stack, workDir, null));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("sluice-bench-fuzz");
            try (Connection db = stack.openAuditConnection()) {
                FuzzRun.Result result = FuzzRun.run(stack.bootstrapServers(), conf.get(ServingOptions.REQUESTS_TOPIC),
                        conf.get(ServingOptions.RESPONSES_TOPIC), conf.get(ServingOptions.REJECTED_TOPIC), cases,
                        Duration.ofMinutes(30), line -> {
                            log.println(line);
                            log.flush();
                        });
                FuzzReport report = FuzzReport.check(result);
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (AuditStore.count(db, null) < report.answered() && System.nanoTime() < deadline) {
                    Thread.sleep(200); // audit rows follow the next checkpoint
                }
                int rows = AuditStore.count(db, null);
                AuditVerifier.Report chains = AuditVerifier.verify(db, r -> {});
                String table = report.table(s) + String.format("%naudit trail: %d rows for %d answers; chains %s%n",
                        rows, report.answered(), chains.intact() ? "intact" : "NOT intact: " + chains.breaks()
                                + chains.notices());
                report.violations().forEach(v -> log.println("VIOLATION " + v));
                BenchServing.publish(table, output, out, log);
                return report.violations().isEmpty() && rows == report.answered() && chains.intact() ? 0 : 1;
            } finally {
                job.cancel().get();
            }
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FuzzBenchmark()).execute(args));
    }
}
