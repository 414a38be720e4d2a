package io.sluice.bench;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The serving job driven past its model's capacity: a slow generative backend (the OpenAI-compatible
 * stand-in's {@code slow} model, 150 ms between pieces) with few generations at once, and open-loop
 * traffic of a gold tenant and a standard one. Run three times in one go: without lanes and
 * degradation (the baseline), with them, and with a queueing-delay budget too. Per lane: latency to the first streamed piece (p50/p99), the
 * degradation steps taken, and refusals.
 */
@Command(name = "overload", mixinStandardHelpOptions = true,
        description = "Priority lanes and the degradation ladder under a load the model cannot keep up with.")
public final class OverloadBenchmark implements Callable<Integer> {

    @Option(names = "--gold-rate", description = "Gold requests per second (default: ${DEFAULT-VALUE}).")
    double goldRate = 1;

    @Option(names = "--standard-rate", description = "Standard requests per second (default: ${DEFAULT-VALUE}).")
    double standardRate = 5;

    @Option(names = "--seconds", description = "Seconds of load per run (default: ${DEFAULT-VALUE}).")
    int seconds = 30;

    @Option(names = "--max-in-flight", description = "Generations of the model at once (default: ${DEFAULT-VALUE}).")
    int maxInFlight = 4;

    @Option(names = "--ladder", split = ";", description = "Degradation thresholds (default: ${DEFAULT-VALUE}).")
    List<Integer> ladder = List.of(6, 10, 14, 30);

    @Option(names = "--queue-delay-ms", description = "Queueing-delay budget of the third run, in milliseconds "
            + "(default: ${DEFAULT-VALUE}).")
    long queueDelayMs = 1000;

    @Option(names = "--work-dir", description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of("benchmarks", "target", "overload");

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "overload.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final String GOLD = "gold-tenant";
    private static final String STANDARD = "standard-tenant";

    /** One lane's outcome in one run. */
    private record Lane(int sent, List<Double> latencies, Map<String, Integer> steps, int refused, int other) {}

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        Map<String, Map<String, Lane>> runs = new java.util.LinkedHashMap<>();
        try (LocalStack stack = LocalStack.start(workDir.resolve("services"), LocalStack.External.NONE, 2);
                OpenAiStandInServer remote = new OpenAiStandInServer()) {
            Configuration base = BenchServing.configuration(stack, workDir, 1, log);
            base.set(ServingOptions.TENANTS_FILE, Files.writeString(workDir.resolve("tenants.json"), """
                    {"tenants": [{"id": "%s", "tier": "gold", "pii": "allow"},
                                 {"id": "%s", "tier": "standard", "pii": "allow"}]}
                    """.formatted(GOLD, STANDARD)).toAbsolutePath().toString());
            base.set(ServingOptions.ROUTING_POLICY, Files.writeString(workDir.resolve("routing.json"), """
                    {"version": 1,
                     "profiles": [{"name": "slow-llm", "backend": "openai", "baseUrl": "%s", "model": "slow",
                                   "fallbacks": ["extractive"]}],
                     "routes": {"auto": [{"rule": "default", "profiles": ["slow-llm"]}]}}
                    """.formatted(remote.baseUrl())).toAbsolutePath().toString());
            base.set(ServingOptions.ANSWER_MAX_IN_FLIGHT, maxInFlight);
            base.set(ServingOptions.CONVERSATION_MAX_PENDING_TURNS, 64);
            runs.put("baseline: one lane, no degradation", run(stack, base, "base", log));
            Configuration managed = new Configuration(base);
            managed.set(ServingOptions.CONVERSATION_LANES, List.of("gold"));
            managed.set(ServingOptions.CONVERSATION_DEGRADATION, ladder);
            runs.put("lanes gold;standard, ladder " + ladder, run(stack, managed, "managed", log));
            Configuration bounded = new Configuration(managed);
            bounded.set(ServingOptions.CONVERSATION_QUEUE_DELAY_BUDGET, java.time.Duration.ofMillis(queueDelayMs));
            runs.put("as above, queue-delay budget " + queueDelayMs + " ms", run(stack, bounded, "bounded", log));
        }
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %d cores: one serving job (parallelism 1), the "
                + "stand-in's slow model (150 ms between pieces, about 10 pieces an answer) with at most %d generations "
                + "at once, falling back to the extractive answerer; open-loop load for %d s: gold %.1f/s, standard "
                + "%.1f/s. Latency is to the first streamed piece (or the answer, or the refusal).%n%n",
                LocalDate.now(java.time.ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(), maxInFlight,
                seconds, goldRate, standardRate));
        table.append("| run | lane | sent | answered | p50 ms | p99 ms | degradation steps | refused (OVERLOADED) |\n");
        table.append("|---|---|---:|---:|---:|---:|---|---:|\n");
        runs.forEach((name, lanes) -> lanes.forEach((lane, l) -> table.append(String.format(Locale.ROOT,
                "| %s | %s | %d | %d | %.0f | %.0f | %s | %d |%n", name, lane, l.sent(), l.latencies().size(),
                ServingLatencyBenchmark.percentile(l.latencies(), 50),
                ServingLatencyBenchmark.percentile(l.latencies(), 99),
                l.steps().isEmpty() ? "none" : l.steps().toString().replaceAll("[{}]", ""), l.refused()))));
        BenchServing.publish(table.toString(), output, spec.commandLine().getOut(), log);
        return 0;
    }

    private Map<String, Lane> run(LocalStack stack, Configuration conf, String prefix, PrintWriter log)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        ServingJob.fromConfiguration(conf).build(env);
        JobClient job = env.executeAsync("overload-benchmark-" + prefix);
        try (ChatClient chat = stack.client(false, false)) {
            // Warm-up: the embedding model loaded, the stand-in's connections open.
            for (int i = 0; i < 5; i++) {
                chat.submit(prefix + "-warm-" + i, GOLD, prefix + "-warm-" + i, "How do refunds work?", "auto");
            }
            chat.awaitCondition(() -> chat.firstArrivalNanos(prefix + "-warm-4").isPresent(), Duration.ofSeconds(120));
            List<String> ids = new ArrayList<>();
            Map<String, Long> sentAt = new TreeMap<>();
            Map<String, String> laneOf = new TreeMap<>();
            double total = (goldRate + standardRate) * seconds;
            long interval = (long) (1e9 / (goldRate + standardRate));
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long wait = start + i * interval - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // pacing an open-loop generator, not synchronisation
                }
                // Gold's share of the stream, spread evenly.
                boolean gold = Math.floor((i + 1) * goldRate / (goldRate + standardRate))
                        > Math.floor(i * goldRate / (goldRate + standardRate));
                String id = prefix + "-" + i;
                ids.add(id);
                laneOf.put(id, gold ? "gold" : "standard");
                sentAt.put(id, System.nanoTime());
                chat.submit(id, gold ? GOLD : STANDARD, id, "How are refunds paid back, question " + i + "?", "auto");
            }
            chat.awaitCondition(() -> ids.stream().allMatch(id -> !chat.responses(id).stream()
                    .filter(r -> "answer".equals(r.path("type").asText())).toList().isEmpty()
                    || !chat.rejections(id).isEmpty()), Duration.ofSeconds(300));
            Map<String, Lane> lanes = new java.util.LinkedHashMap<>();
            for (String lane : List.of("gold", "standard")) {
                List<Double> latencies = new ArrayList<>();
                Map<String, Integer> steps = new TreeMap<>();
                int refused = 0;
                int other = 0;
                int sent = 0;
                for (String id : ids) {
                    if (!laneOf.get(id).equals(lane)) {
                        continue;
                    }
                    sent++;
                    List<JsonNode> rejections = chat.rejections(id);
                    if (!rejections.isEmpty()) {
                        if ("OVERLOADED".equals(rejections.get(0).path("reason").asText())) {
                            refused++;
                        } else {
                            other++;
                        }
                        continue;
                    }
                    JsonNode answer = chat.responses(id).stream().filter(r -> "answer".equals(r.path("type").asText()))
                            .findFirst().orElse(null);
                    if (answer == null) {
                        other++;
                        continue;
                    }
                    latencies.add((chat.firstArrivalNanos(id).orElseThrow() - sentAt.get(id)) / 1e6);
                    JsonNode d = answer.path("routing").path("degradation");
                    if (d.isObject()) {
                        steps.merge(d.path("step").asText() + (d.has("waitedMs") ? " (waited)" : ""), 1,
                                Integer::sum);
                    }
                }
                lanes.put(lane, new Lane(sent, latencies, steps, refused, other));
                log.printf(Locale.ROOT, "%s %s: %d sent, %d answered, p99 %.0f ms, steps %s, refused %d%n", prefix,
                        lane, sent, latencies.size(), ServingLatencyBenchmark.percentile(latencies, 99), steps, refused);
            }
            return lanes;
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new OverloadBenchmark()).execute(args));
    }
}
