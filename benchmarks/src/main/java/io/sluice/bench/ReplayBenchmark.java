package io.sluice.bench;

import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.jobs.replay.Replay;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.operators.audit.AuditStore;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Replay speed against the live rate, in one run: a serving job records a chat session at a fixed
 * rate of turns through real Kafka and PostgreSQL (a savepoint taken before the session), then
 * {@code Replay} re-derives every turn from that savepoint and checks it against the audit trail.
 * Prints and writes replayed turns per second (overall and once running) and the ratio to the rate
 * the same turns arrived live.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay speed (turns/s) versus the live rate of the recorded session.")
public final class ReplayBenchmark implements Callable<Integer> {

    @Option(names = "--turns", description = "Turns in the recorded session (default: ${DEFAULT-VALUE}).")
    int turns = 300;

    @Option(names = "--rate", description = "Turns per second of the live session (default: ${DEFAULT-VALUE}).")
    int rate = 5;

    @Option(names = "--conversations", description = "Conversations the turns belong to (default: ${DEFAULT-VALUE}).")
    int conversations = 30;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--work-dir", description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of(".sluice", "bench-replay");

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "replay-speed.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        String row;
        try (LocalStack stack = LocalStack.start(workDir.resolve("services"), LocalStack.External.NONE, 2)) {
            Configuration conf = BenchServing.configuration(stack, workDir, threads, log);
            Path savepoint = record(stack, conf, log);

            log.println("replaying " + turns + " turns from " + savepoint);
            log.flush();
            Replay.Result result = Replay.run(conf, Replay.Options.of(savepoint), p -> {});
            if (!result.report().identicalToTheAuditTrail()) {
                log.println("replay diverged: " + result.report().divergences() + " missing " + result.report().missing());
                return 1;
            }
            double live = turns / Math.max(1e-3, result.liveSpan().toMillis() / 1000.0);
            row = String.format(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1fx | %.1fx |%n", turns,
                    conversations, live, result.wallTime().toMillis() / 1000.0, result.startup().toMillis() / 1000.0,
                    result.turnsPerSecond(), result.steadyTurnsPerSecond(), result.turnsPerSecond() / live,
                    result.steadyTurnsPerSecond() / live);
        }
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %d cores, JDK %s: a session of %d turns in %d "
                        + "conversations sent at %d turns/s to one serving job (parallelism 1, extractive answers), "
                        + "then replayed from a savepoint taken before it, every turn identical to the audit trail.%n%n",
                LocalDate.now(java.time.ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), turns, conversations, rate));
        table.append("| turns | conversations | live turns/s | replay wall s | replay startup s | replay turns/s "
                + "| replay turns/s once running | speed vs live | once running vs live |\n");
        table.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        table.append(row);
        BenchServing.publish(table.toString(), output, spec.commandLine().getOut(), log);
        return 0;
    }

    /** Serves the session and returns the savepoint taken before its first turn. */
    private Path record(LocalStack stack, Configuration conf, PrintWriter log) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        ServingJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("replay-benchmark-live");
        try (ChatClient chat = stack.client(false, false)) {
            while (job.getJobStatus().get() != JobStatus.RUNNING) {
                Thread.sleep(100); // polling a remote status; there is no callback for it
            }
            Path savepoint = savepoint(job);
            List<String> questions = EmbeddingBenchmark.sentences(64);
            long interval = 1_000_000_000L / rate;
            long start = System.nanoTime();
            log.println("recording " + turns + " turns at " + rate + "/s ...");
            log.flush();
            for (int i = 0; i < turns; i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // pacing an open-loop generator, not synchronisation
                }
                chat.submit("t-" + i, "default", "conv-" + (i % conversations), questions.get(i % questions.size()));
            }
            try (var db = stack.openAuditConnection()) {
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                while (AuditStore.count(db, null) < turns && System.nanoTime() < deadline) {
                    Thread.sleep(200); // waiting for the audit commits of the last checkpoints
                }
            }
            return savepoint;
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    private Path savepoint(JobClient job) throws Exception {
        Path dir = workDir.resolve("savepoints").toAbsolutePath();
        for (int attempt = 0; ; attempt++) {
            try {
                return Path.of(URI.create(job.triggerSavepoint(dir.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(60, TimeUnit.SECONDS)));
            } catch (java.util.concurrent.ExecutionException e) {
                if (attempt >= 20) {
                    throw e;
                }
                Thread.sleep(500); // tasks still starting: a savepoint needs all of them running
            }
        }
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.exit(new CommandLine(new ReplayBenchmark()).execute(args));
    }
}
