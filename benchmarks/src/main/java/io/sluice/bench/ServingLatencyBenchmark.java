package io.sluice.bench;

import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.jobs.serving.ServingJob;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Latency of the serving job under a fixed request rate: real Kafka, PostgreSQL and a MiniCluster
 * with RocksDB on this machine, an open-loop load generator (requests are sent on schedule whether
 * or not answers came back), and per rate the p50/p99 of the query embedding (the batch's model call,
 * as the response reports it) and of end-to-end latency (send to response arrival, which includes
 * the wait for a batch, Kafka both ways and every stage).
 */
@Command(name = "serving", mixinStandardHelpOptions = true,
        description = "Serving latency (embed stage and end to end) at fixed request rates.")
public final class ServingLatencyBenchmark implements Callable<Integer> {

    @Option(names = "--rates", split = ",", description = "Requests per second (default: ${DEFAULT-VALUE}).")
    List<Integer> rates = List.of(1, 200);

    @Option(names = "--seconds", description = "Seconds of load per rate (default: ${DEFAULT-VALUE}).")
    int seconds = 30;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--work-dir", description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of(".sluice", "bench-serving");

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "serving-latency.md");

    @Option(names = "--tenants-file", description = "Tenants file of the job (sluice.tenants.file); the requests are "
            + "tenant 'default's, so it must configure it (default: the job's default tenant).")
    Path tenantsFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        Map<Integer, String> rows = new LinkedHashMap<>();
        try (LocalStack stack = LocalStack.start(workDir.resolve("services"), LocalStack.External.NONE, 2)) {
            Configuration conf = BenchServing.configuration(stack, workDir, threads, log);
            if (tenantsFile != null) {
                conf.set(io.sluice.jobs.config.ServingOptions.TENANTS_FILE, tenantsFile.toAbsolutePath().toString());
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("serving-latency-benchmark");
            try (ChatClient chat = stack.client(false, false)) {
                List<String> questions = EmbeddingBenchmark.sentences(64);
                // Warm-up: models loaded, JIT warm, first checkpoints done.
                load(chat, questions, "warmup", 20, 10, log);
                for (int rate : rates) {
                    rows.put(rate, load(chat, questions, "r" + rate, rate, seconds, log));
                }
            } finally {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        }
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %d cores, JDK %s: one serving job (parallelism 1, "
                        + "ONNX Runtime intra-op threads %d, embed max-batch-size 32 / max-wait 5 ms), embedded Kafka and "
                        + "PostgreSQL on the same machine, %d s of open-loop load per rate.%n%n",
                LocalDate.now(java.time.ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), threads, seconds));
        table.append("| requests/s | sent | answered | embedding call p50 ms | embedding call p99 ms | end-to-end p50 ms | end-to-end p99 ms |\n");
        table.append("|---:|---:|---:|---:|---:|---:|---:|\n");
        rows.forEach((rate, row) -> table.append(row));
        BenchServing.publish(table.toString(), output, spec.commandLine().getOut(), log);
        return 0;
    }

    /** Sends {@code rate} requests per second for {@code seconds}, then waits for the answers. */
    private String load(ChatClient chat, List<String> questions, String prefix, int rate, int seconds,
            PrintWriter log) throws Exception {
        int total = rate * seconds;
        long[] sentAt = new long[total];
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // pacing an open-loop generator, not synchronisation
            }
            sentAt[i] = System.nanoTime();
            chat.submit(prefix + "-" + i, "default", prefix + "-conv-" + (i % 500), questions.get(i % questions.size()));
        }
        // Requests spread over two partitions, so the last one sent is not necessarily the last one
        // answered: wait for every answer (or give up after two minutes and report what arrived).
        int[] answered = {0};
        chat.awaitCondition(() -> {
            while (answered[0] < total && chat.firstArrivalNanos(prefix + "-" + answered[0]).isPresent()) {
                answered[0]++;
            }
            return answered[0] == total;
        }, Duration.ofSeconds(120));
        List<Double> embed = new ArrayList<>();
        List<Double> endToEnd = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            String id = prefix + "-" + i;
            List<JsonNode> responses = chat.responses(id);
            if (!responses.isEmpty()) {
                embed.add(responses.get(0).path("timings").path("embedMs").asDouble());
                endToEnd.add((chat.firstArrivalNanos(id).orElseThrow() - sentAt[i]) / 1e6);
            }
        }
        String row = String.format(Locale.ROOT, "| %d | %d | %d | %.1f | %.1f | %.1f | %.1f |%n", rate, total, embed.size(),
                percentile(embed, 50), percentile(embed, 99), percentile(endToEnd, 50), percentile(endToEnd, 99));
        log.print(prefix + ": " + row);
        log.flush();
        return row;
    }

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.exit(new CommandLine(new ServingLatencyBenchmark()).execute(args));
    }
}
