package io.sluice.bench;

import io.sluice.jobs.config.BackfillOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.local.ChatClient;
import io.sluice.local.EmbeddedKafka;
import io.sluice.local.LocalStack;
import io.sluice.model.ConcurrentEmbedding;
import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.ModelThreads;
import io.sluice.model.OnnxEmbeddingModel;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.answer.AnswerModels;

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
 *
 * <p>Two baselines are measured in the same run, on the same machine: a pass-through Flink job
 * ({@link PassThroughJob}: Kafka to Kafka through the same broker, same Flink settings) under the
 * same load right after each serving rate, against which the serving job's pipeline overhead (end
 * to end minus the time inside model calls) is set; and the bare embedding throughput of the same
 * model and threads (batches of the serving job's largest batch size, in a loop), against which
 * each rate is set.
 */
@Command(name = "serving", mixinStandardHelpOptions = true,
        description = "Serving latency (embed stage and end to end) at fixed request rates, against a pass-through "
                + "Flink job and the bare embedding throughput measured in the same run.")
public final class ServingLatencyBenchmark implements Callable<Integer> {

    @Option(names = "--rates", split = ",", description = "Requests per second, in order; a rate may repeat (a "
            + "later run of it sees a warmer JIT) (default: ${DEFAULT-VALUE}).")
    List<Integer> rates = List.of(1, 200);

    @Option(names = "--seconds", description = "Seconds of load per rate (default: ${DEFAULT-VALUE}).")
    int seconds = 30;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}, the job's).")
    int threads = io.sluice.jobs.config.ServingOptions.EMBEDDING_INTRA_OP_THREADS.defaultValue();

    @Option(names = "--concurrent-calls", description = "Model calls the embed stage runs at once (one question "
            + "per call for the int8 models), and batches at once in the job; the bare loop runs as many calls at "
            + "once (default: ${DEFAULT-VALUE}, the job's).")
    int concurrentCalls = io.sluice.jobs.config.ServingOptions.EMBEDDING_CONCURRENT_CALLS.defaultValue();

    @Option(names = "--warmup-seconds", description = "Seconds of load at --warmup-rate before the first rate, so "
            + "that the models are loaded and the JIT has compiled most of the path (default: ${DEFAULT-VALUE}).")
    int warmupSeconds = 40;

    @Option(names = "--warmup-max-seconds", description = "Longest warm-up: after --warmup-seconds the warm-up goes "
            + "on in slices of " + WARMUP_SLICE_SECONDS + " s while the JIT compiled for more than "
            + "--warmup-jit-share of a slice, up to this many seconds in all (default: ${DEFAULT-VALUE}; "
            + "--warmup-seconds or less: a fixed warm-up).")
    int warmupMaxSeconds = 150;

    @Option(names = "--warmup-jit-share", description = "The JIT's compile time, as a share of a warm-up slice's "
            + "wall time, below which the path counts as compiled (default: ${DEFAULT-VALUE}).")
    double warmupJitShare = 0.05;

    @Option(names = "--warmup-rate", description = "Requests per second of the warm-up (default: ${DEFAULT-VALUE}). "
            + "A first run near capacity still finds the JIT compiling: warm up nearer its rate, or repeat the rate.")
    int warmupRate = 30;

    @Option(names = "--set", description = "A Flink or Sluice setting for the serving job (and the pass-through "
            + "job), key=value; repeatable, e.g. --set execution.buffer-timeout.interval=0ms.")
    Map<String, String> settings = new LinkedHashMap<>();

    @Option(names = "--embedding-model", description = "The snapshot's (and so the questions') embedding model: "
            + EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED + ", " + EmbeddingModels.BUNDLED_MINILM + " or "
            + EmbeddingModels.BUNDLED_MINILM_QUANTIZED + " (default: ${DEFAULT-VALUE}).")
    String embeddingModel = EmbeddingModels.DEFAULT;

    @Option(names = "--shards", description = "Shards of the benchmark's snapshot (as sluice.backfill.shards; "
            + "default: ${DEFAULT-VALUE}): every question searches each.")
    int shards = BackfillOptions.SHARDS.defaultValue();

    @Option(names = "--questions", description = "Distinct questions, sent in turn (default: ${DEFAULT-VALUE}).")
    int questions = 64;

    @Option(names = "--conversations", description = "Conversations each load's requests take turns in "
            + "(default: ${DEFAULT-VALUE}); fewer make longer conversations, whose history and duplicate window "
            + "fill up.")
    int conversations = 500;

    @Option(names = "--cache", description = "Keep the Redis caches on (repeated questions hit the embedding "
            + "cache; default: off, every question is embedded).")
    boolean cache;

    @Option(names = "--no-pass-through", negatable = true, description = "Measure the pass-through baseline after "
            + "each rate (default: ${DEFAULT-VALUE}).")
    boolean passThrough = true;

    @Option(names = "--profile", description = "Profile the last rate's serving load with async-profiler (CPU, "
            + "itimer), write its collapsed stacks here and print the share of its samples by component (the "
            + "model, Lucene, the Kafka broker, ...).")
    Path profile;

    @Option(names = "--profile-event", description = "What --profile samples: ${COMPLETION-CANDIDATES} (cpu: "
            + "where the time goes; alloc: where the heap is allocated, which is what the garbage collector's "
            + "pauses grow with; wall: where each thread spends its time, waiting included, by thread; "
            + "default: ${DEFAULT-VALUE}).")
    Profiler.Event profileEvent = Profiler.Event.cpu;

    @Option(names = "--pass-through-beside", paramLabel = "RATE", description = "While each serving rate runs, "
            + "also load the pass-through job at RATE requests/s: the baseline's Kafka-to-Kafka path on a machine as "
            + "busy as the serving job makes it, reported beside the baseline measured alone (default: 0, off).")
    int passThroughBeside;

    @Option(names = "--stages", description = "Trace the serving job (its own spans, kept in memory) and break "
            + "each rate's latency down by stage: Kafka, each stage, the shuffles between them, the embed stage's "
            + "wait for its model call and the call, for the median request and for the slowest 1 %% by overhead. "
            + "Tracing costs CPU of its own: compare latencies of runs with it only to each other.")
    boolean stages;

    @Option(names = "--kafka-jvm", description = "Where the Kafka broker runs: ${COMPLETION-CANDIDATES} (own: a "
            + "JVM of its own, as deployed, so its garbage and its collector's pauses stay out of the jobs' JVM; "
            + "shared: in the benchmark's JVM beside the jobs and the load generator; default: ${DEFAULT-VALUE}).")
    BrokerJvm kafkaJvm = BrokerJvm.shared;

    /** Where the benchmark's Kafka broker runs. */
    enum BrokerJvm { own, shared }

    @Option(names = "--work-dir", description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of(".sluice", "bench-serving");

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "serving-latency.md");

    @Option(names = "--tenants-file", description = "Tenants file of the job (sluice.tenants.file); the requests are "
            + "tenant 'default's, so it must configure it (default: the job's default tenant).")
    Path tenantsFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The embedded PostgreSQL's processes, whose CPU time each rate reports; null when not known. */
    private ProcessTreeCpu postgres;

    /**
     * What one load run measured, in milliseconds per answered request (the time inside model calls
     * and in hybrid retrieval as the responses report them), what stopped this JVM's threads
     * meanwhile (the job, the broker and the load generator all run in it), and the CPU time the run took.
     */
    record Latencies(int sent, List<Double> endToEnd, List<Double> inModels, List<Double> retrieval,
            Stalls.Summary stalled, CpuUse.Spent cpu, TailEpisodes.Summary tail, StageBreakdown.Summary stages) {
        int answered() {
            return endToEnd.size();
        }

        /** End to end minus the time inside model calls, per request. */
        List<Double> overhead() {
            List<Double> out = new ArrayList<>(endToEnd.size());
            for (int i = 0; i < endToEnd.size(); i++) {
                out.add(endToEnd.get(i) - inModels.get(i));
            }
            return out;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (warmupRate < 1 || seconds < 1 || conversations < 1 || rates.stream().anyMatch(r -> r < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--rates, --warmup-rate, --seconds and --conversations must be at least 1");
        }
        PrintWriter log = spec.commandLine().getErr();
        List<String> asked = EmbeddingBenchmark.sentences(questions);
        BareEmbedding bare = bareEmbeddingThroughput(asked, log);
        List<String> rows = new ArrayList<>();
        StringBuilder breakdowns = new StringBuilder();
        List<String> besideRows = new ArrayList<>();
        String warmed = "";
        String batching;
        int parallelism;
        Path services = workDir.resolve("services");
        java.nio.file.Files.createDirectories(services);
        try (KafkaJvm broker = kafkaJvm == BrokerJvm.own
                        ? KafkaJvm.start(services.resolve("kafka"), services.resolve("kafka.log")) : null;
                LocalStack stack = LocalStack.start(services, new LocalStack.External(
                        broker == null ? null : broker.bootstrapServers(), null, null, null), 2)) {
            EmbeddedKafka.createTopics(stack.bootstrapServers(), List.of(PassThroughJob.IN_TOPIC,
                    PassThroughJob.OUT_TOPIC, PassThroughJob.UNUSED_TOPIC), 2);
            Configuration conf = BenchServing.configuration(stack, workDir, threads, embeddingModel, shards, log);
            conf.set(io.sluice.jobs.config.ServingOptions.EMBEDDING_CONCURRENT_CALLS, concurrentCalls);
            if (tenantsFile != null) {
                conf.set(io.sluice.jobs.config.ServingOptions.TENANTS_FILE, tenantsFile.toAbsolutePath().toString());
            }
            settings.forEach(conf::setString);
            CheckpointSpans.reportTo(conf); // for where the slowest requests came from
            if (stages) {
                StageSpans.enable(conf);
            }
            if (cache) {
                conf.set(io.sluice.jobs.config.ServingOptions.CACHE_REDIS_URI, stack.redisUri());
            }
            // What the job batches with, as configured (--set may change it), for the table's header.
            parallelism = conf.get(org.apache.flink.configuration.CoreOptions.DEFAULT_PARALLELISM);
            batching = String.format(Locale.ROOT, "embed max-batch-size %d / max-wait %d ms / concurrent calls %d",
                    conf.get(io.sluice.jobs.config.ServingOptions.EMBEDDING_MAX_BATCH_SIZE),
                    conf.get(io.sluice.jobs.config.ServingOptions.EMBEDDING_MAX_WAIT).toMillis(),
                    conf.get(io.sluice.jobs.config.ServingOptions.EMBEDDING_CONCURRENT_CALLS));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
            ServingJob.fromConfiguration(conf).build(env);
            CheckpointSpans.nameTasks(env);
            JobClient job = env.executeAsync("serving-latency-benchmark");
            JobClient baseline = null;
            if (passThrough) {
                Configuration baselineConf = new Configuration(conf);
                baselineConf.set(org.apache.flink.configuration.RestOptions.BIND_PORT, "0"); // beside the serving job's
                CheckpointSpans.notFrom(baselineConf);
                StreamExecutionEnvironment baselineEnv = StreamExecutionEnvironment.getExecutionEnvironment(baselineConf);
                PassThroughJob.build(baselineEnv, stack.bootstrapServers());
                baseline = baselineEnv.executeAsync("pass-through-baseline");
            }
            postgres = postgresOf(stack);
            java.util.concurrent.ExecutorService besideLoad = java.util.concurrent.Executors.newSingleThreadExecutor(
                    r -> new Thread(r, "pass-through-beside"));
            try (Stalls stalls = new Stalls(true, postgres);
                    ChatClient chat = stack.client(false, false);
                    ChatClient echo = new ChatClient(stack.bootstrapServers(), PassThroughJob.IN_TOPIC,
                            PassThroughJob.OUT_TOPIC, PassThroughJob.UNUSED_TOPIC, false, false)) {
                // Warm-up: models loaded, JIT warm, first checkpoints done.
                warmed = warmUp(chat, asked, stalls, log);
                if (passThrough) {
                    load(echo, asked, "warmup-pt", warmupRate, warmupSeconds / 2, false, false, stalls, log);
                }
                for (int r = 0; r < rates.size(); r++) {
                    int rate = rates.get(r);
                    boolean profiled = profile != null && r == rates.size() - 1;
                    // Request and conversation ids of a repeated rate must not be the earlier run's:
                    // the job would take them for duplicates.
                    String run = rates.subList(0, r).contains(rate) ? rate + "." + r : String.valueOf(rate);
                    java.util.concurrent.Future<List<Double>> beside = passThrough && passThroughBeside > 0
                            ? besideLoad.submit(() -> probe(echo, asked, "ptb" + run, passThroughBeside, seconds))
                            : null;
                    Latencies serving = load(chat, asked, "r" + run, rate, seconds, profiled, stages, stalls, log);
                    List<Double> besides = beside == null ? null : beside.get();
                    Latencies direct = passThrough
                            ? load(echo, asked, "pt" + run, rate, seconds, false, false, stalls, log) : null;
                    rows.add(row(rate, serving, direct, bare));
                    if (besides != null) {
                        besideRows.add(besideRow(rate, serving, direct, besides));
                        log.print("ptb" + run + ": " + besideRows.get(besideRows.size() - 1));
                    }
                    if (serving.stages() != null) {
                        String breakdown = String.format(Locale.ROOT, "%nWhere the time went at %d requests/s (rate "
                                + "r%s, %d requests traced):%n%n%s", rate, run, serving.stages().traced(),
                                serving.stages().table());
                        breakdowns.append(breakdown);
                        log.print(breakdown);
                    }
                    log.print("r" + run + ": " + rows.get(r));
                    log.flush();
                }
            } finally {
                besideLoad.shutdownNow();
                job.cancel().get(30, TimeUnit.SECONDS);
                if (baseline != null) {
                    baseline.cancel().get(30, TimeUnit.SECONDS);
                }
            }
        }
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s on %d cores, JDK %s: one serving job (parallelism %d, "
                        + "%s, a snapshot in %d shard%s, ONNX Runtime intra-op threads %d, %s, caches %s, model "
                        + "threads %s), "
                        + "embedded Kafka (%s) and PostgreSQL on the same machine, %d s of open-loop load per rate over %d "
                        + "distinct questions after %s; the pass-through job under the same load right after each rate; bare "
                        + "embedding throughput of the same model and threads (calls of 32%s): %.0f questions/s, "
                        + "%.2f ms of CPU per question%s. CPU per request: the machine's (every process: jobs, broker, "
                        + "PostgreSQL, load generator) and the benchmark JVM's, over the rate's run; heap allocated: the "
                        + "benchmark JVM's (what its collections freed plus its heap's growth); cores busy: the "
                        + "machine's CPU time over the run's wall time; JIT compiling: the benchmark JVM's compile time over the "
                        + "run's wall time.%n%n",
                LocalDate.now(java.time.ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), parallelism, embeddingModel, shards, shards == 1 ? "" : "s", threads, batching,
                cache ? "on" : "off",
                ModelThreads.prioritiesHonoured() ? "at nice 4" : "at the others' priority (no ThreadPriorityPolicy=1)",
                kafkaJvm == BrokerJvm.own ? "in a JVM of its own" : "in the benchmark's JVM", seconds,
                questions, warmed, bare.onePerCall() ? ", which the model runs one question at a time" : "",
                bare.rate(), bare.cpuPerQuestion(), settings.isEmpty() ? "" : "; settings " + settings));
        table.append("| requests/s | sent | answered | embedding call p50 / p99 ms | end-to-end p50 / p99 ms "
                + "| pipeline overhead p99 ms | pass-through p50 / p99 ms | overhead ÷ pass-through (p99) "
                + "| requests/s ÷ bare embedding | retrieval p50 / p99 ms | GC pauses: count / longest ms "
                + "| heap allocated per request, kB "
                + "| hiccups p99 / longest ms | CPU per request ms: machine / this JVM (pass-through: machine) | cores busy "
                + "| JIT compiling, % of the run | requests at or above p99: episodes / overlapping a checkpoint "
                + "(expected by chance) |\n");
        table.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        rows.forEach(table::append);
        if (!besideRows.isEmpty()) {
            table.append(String.format(Locale.ROOT, "%nThe pass-through job beside the serving job: loaded at %d "
                    + "requests/s while each serving rate ran, on the machine the serving job keeps busy, against the "
                    + "same job alone right after it:%n%n| requests/s | pipeline overhead p99 ms | pass-through alone "
                    + "p99 ms | pass-through beside the serving job p50 / p99 ms | overhead ÷ pass-through beside "
                    + "(p99) |%n|---:|---:|---:|---:|---:|%n", passThroughBeside));
            besideRows.forEach(table::append);
        }
        table.append(breakdowns);
        BenchServing.publish(table.toString(), output, spec.commandLine().getOut(), log);
        return 0;
    }

    private static String besideRow(int rate, Latencies serving, Latencies alone, List<Double> beside) {
        double overhead = percentile(serving.overhead(), 99);
        double besideP99 = percentile(beside, 99);
        return String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f / %.1f | %.2f |%n", rate, overhead,
                percentile(alone.endToEnd(), 99), percentile(beside, 50), besideP99, overhead / besideP99);
    }

    /**
     * Sends {@code rate} requests per second for {@code seconds} through {@code echo} (the
     * pass-through job), paced as {@link #load} paces, and returns each one's latency (ms) once
     * all have come back (or two minutes have passed).
     */
    private List<Double> probe(ChatClient echo, List<String> questions, String prefix, int rate, int seconds)
            throws InterruptedException {
        int total = rate * seconds;
        long[] sentAt = new long[total];
        OpenLoop.pace(rate, total, i -> {
            sentAt[i] = System.nanoTime();
            echo.submit(prefix + "-" + i, "default", prefix + "-conv-" + (i % conversations),
                    questions.get(i % questions.size()));
        });
        echo.awaitCondition(() -> java.util.stream.IntStream.range(0, total)
                .allMatch(i -> echo.firstArrivalNanos(prefix + "-" + i).isPresent()), Duration.ofSeconds(120));
        List<Double> latencies = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            int sent = i;
            echo.firstArrivalNanos(prefix + "-" + i).ifPresent(at -> latencies.add((at - sentAt[sent]) / 1e6));
        }
        return latencies;
    }

    private static String row(int rate, Latencies serving, Latencies direct, BareEmbedding bare) {
        double overhead = percentile(serving.overhead(), 99);
        String baseline = "-";
        String ratio = "-";
        String baselineCpu = "";
        if (direct != null) {
            double directP99 = percentile(direct.endToEnd(), 99);
            baseline = String.format(Locale.ROOT, "%.1f / %.1f", percentile(direct.endToEnd(), 50), directP99);
            ratio = String.format(Locale.ROOT, "%.2f", overhead / directP99);
            baselineCpu = String.format(Locale.ROOT, " (%.2f)", direct.cpu().machinePer(direct.sent()));
        }
        return String.format(Locale.ROOT, "| %d | %d | %d | %.1f / %.1f | %.1f / %.1f | %.1f | %s | %s | %.2f "
                        + "| %.1f / %.1f | %d / %.0f | %.0f | %.1f / %.1f | %.2f / %.2f%s | %.2f | %.0f | %s |%n", rate,
                serving.sent(), serving.answered(), percentile(serving.inModels(), 50),
                percentile(serving.inModels(), 99), percentile(serving.endToEnd(), 50),
                percentile(serving.endToEnd(), 99), overhead, baseline, ratio, rate / bare.rate(),
                percentile(serving.retrieval(), 50), percentile(serving.retrieval(), 99),
                serving.stalled().gcPauses(), serving.stalled().longestGcPause(),
                serving.stalled().allocatedBytes() / 1024.0 / serving.sent(), serving.stalled().hiccupP99(),
                serving.stalled().longestHiccup(), serving.cpu().machinePer(serving.sent()),
                serving.cpu().processPer(serving.sent()), baselineCpu,
                serving.cpu().coresBusy(), 100 * serving.cpu().jitShare(),
                serving.tail().cell());
    }

    /**
     * The embedded PostgreSQL's processes, or null when the stack's database is elsewhere (or its
     * postmaster cannot be found): their CPU time then goes unreported.
     */
    private static ProcessTreeCpu postgresOf(LocalStack stack) {
        if (stack.embeddedPostgres() == null) {
            return null;
        }
        try {
            return new ProcessTreeCpu(stack.embeddedPostgres().processes().get(0).pid());
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /**
     * Questions per second of the bare loop, the CPU time each took (ms; every call thread's), and
     * whether the model ran its calls one question at a time.
     */
    private record BareEmbedding(double rate, double cpuPerQuestion, boolean onePerCall) {}

    /**
     * Questions per second of the serving job's embedding model alone: batches of 32 of the asked
     * questions through the same runtime, threads and concurrent calls, in a loop, before anything else runs.
     */
    private BareEmbedding bareEmbeddingThroughput(List<String> asked, PrintWriter log) throws Exception {
        List<String> cycle = new ArrayList<>();
        while (cycle.size() < 32 * 4) {
            cycle.addAll(asked);
        }
        List<List<String>> batches = Throughput.batches(cycle, 32);
        EmbeddingModel onnx = EmbeddingModels.open(embeddingModel, RuntimeOptions.cpu(threads));
        try (EmbeddingModel model = new ConcurrentEmbedding(onnx, onnx, concurrentCalls)) {
            // A model whose rows are not independent embeds one question per call, in serving as here.
            boolean onePerCall = !onnx.embedsTextsTogether();
            Throughput.measure(32, batches.size(), 2, 0, i -> model.embed(batches.get(i))); // warm-up
            CpuUse before = CpuUse.now();
            double rate = Throughput.measure(32, batches.size(), 0, 8, i -> model.embed(batches.get(i)));
            CpuUse.Spent spent = before.until(CpuUse.now());
            // Nothing else runs in this JVM yet: its CPU time is the model's and the loop's.
            double cpuPerQuestion = spent.processMillis() / (rate * spent.wallMillis() / 1000);
            log.printf(Locale.ROOT, "bare embedding (%s, %d threads, calls of 32%s, %d at once): %.1f questions/s, "
                            + "%.2f ms of CPU each%n", embeddingModel, threads, onePerCall ? " run one at a time" : "",
                    concurrentCalls, rate, cpuPerQuestion);
            log.flush();
            return new BareEmbedding(rate, cpuPerQuestion, onePerCall);
        }
    }

    /** Seconds of each warm-up slice after the first {@code --warmup-seconds}. */
    static final int WARMUP_SLICE_SECONDS = 10;

    /**
     * Loads the serving job at the warm-up rate until its code is compiled: {@code --warmup-seconds},
     * then slices while the JIT still compiled for more than {@code --warmup-jit-share} of the last
     * one. On two cores the compilers share the cores with the job for a minute or more; a rate
     * measured while they do costs more CPU per request than the same rate a minute later (13.4
     * against 8.3 ms at 200 requests/s in one run), and a rate near capacity saturates.
     */
    private String warmUp(ChatClient chat, List<String> asked, Stalls stalls, PrintWriter log) throws Exception {
        Latencies slice = load(chat, asked, "warmup", warmupRate, warmupSeconds, false, false, stalls, log);
        int spent = warmupSeconds;
        for (int n = 1; warmsOn(slice.cpu(), spent, warmupJitShare, warmupMaxSeconds); n++) {
            slice = load(chat, asked, "warmup." + n, warmupRate, WARMUP_SLICE_SECONDS, false, false, stalls, log);
            spent += WARMUP_SLICE_SECONDS;
        }
        String warmed = String.format(Locale.ROOT, "a warm-up of %d s at %d requests/s, the JIT compiling %.0f %% of "
                + "its last %d s", spent, warmupRate, 100 * slice.cpu().jitShare(), spent == warmupSeconds
                ? warmupSeconds : WARMUP_SLICE_SECONDS);
        log.println(slice.cpu().jitShare() > warmupJitShare
                ? "warm-up: stopped at --warmup-max-seconds with the JIT still compiling: " + warmed : "warm-up: " + warmed);
        log.flush();
        return warmed;
    }

    /**
     * Whether the warm-up takes another slice after one that cost {@code last}, {@code spent} seconds
     * in: while the JIT compiled for more than {@code jitShare} of it (a JVM that does not report its
     * compile time gets the fixed warm-up) and another slice fits into {@code maxSeconds}.
     */
    static boolean warmsOn(CpuUse.Spent last, int spent, double jitShare, int maxSeconds) {
        return last.jitShare() > jitShare && spent + WARMUP_SLICE_SECONDS <= maxSeconds;
    }

    /**
     * Sends {@code rate} requests per second for {@code seconds} through {@code chat}, then waits for
     * the answers (a pass-through job's copies count as answers; they carry no model time); with
     * {@code traced}, breaks their latencies down by the serving job's stage spans.
     */
    private Latencies load(ChatClient chat, List<String> questions, String prefix, int rate, int seconds,
            boolean profiled, boolean traced, Stalls stalls, PrintWriter log) throws Exception {
        int total = rate * seconds;
        long[] sentAt = new long[total];
        // What each answer says about itself, taken as it arrives: the client keeps no records, so
        // that thousands of parsed answers do not outlive young collections beside the job's objects.
        double[] inModel = new double[total];
        double[] retrieved = new double[total];
        double[] embedCall = new double[total];
        Arrays.fill(inModel, Double.NaN);
        // Counted after an answer's numbers are written, so that seeing the count means seeing them.
        java.util.concurrent.atomic.AtomicInteger recorded = new java.util.concurrent.atomic.AtomicInteger();
        chat.onAnswer(answer -> {
            String id = answer.path("requestId").asText("");
            if (!id.startsWith(prefix + "-")) {
                return;
            }
            int i;
            try {
                i = Integer.parseInt(id.substring(prefix.length() + 1));
            } catch (NumberFormatException e) {
                return;
            }
            if (i < 0 || i >= total || !Double.isNaN(inModel[i])) {
                return; // not this run's, or a repeat after a recovery: the first one counts
            }
            JsonNode timings = answer.path("timings");
            // Extractive answers call one model, the question's embedding; a generative answer's call counts too.
            boolean generative = !answer.path("modelId").asText().equals(AnswerModels.EXTRACTIVE);
            retrieved[i] = timings.path("retrieveMs").asDouble();
            embedCall[i] = timings.path("embedMs").asDouble();
            inModel[i] = timings.path("embedMs").asDouble() + (generative ? timings.path("answerMs").asDouble() : 0);
            recorded.incrementAndGet();
        });
        // The checkpoints', GC pauses' and spans' times are the wall clock's: the sending times are
        // set on it, to the microsecond as the spans are.
        long wallMicrosAtStart = io.sluice.operators.trace.Tracing.nowMicros();
        long nanosAtStart = System.nanoTime();
        long wallAtStart = wallMicrosAtStart / 1000;
        if (traced) {
            StageSpans.clear();
        }
        Profiler profiler = profiled ? Profiler.start(profileEvent, log) : null;
        stalls.clear();
        CpuUse cpuBefore = CpuUse.now(postgres);
        OpenLoop.pace(rate, total, i -> {
            sentAt[i] = System.nanoTime();
            chat.submit(prefix + "-" + i, "default", prefix + "-conv-" + (i % conversations), questions.get(i % questions.size()));
        });
        // Requests spread over two partitions, so the last one sent is not necessarily the last one
        // answered: wait for every answer (or give up after two minutes and report what arrived).
        chat.awaitCondition(() -> recorded.get() == total, Duration.ofSeconds(120));
        Stalls.Summary stalled = stalls.summary();
        CpuUse.Spent cpu = cpuBefore.until(CpuUse.now(postgres));
        if (profiler != null) {
            profiler.stop(profile);
            if (profileEvent == Profiler.Event.wall) {
                // Idle threads fill a wall-clock profile: shares by component would say nothing.
                log.printf("wall profile of %s written to %s, one stack per thread (its name first)%n", prefix,
                        profile);
            } else {
                log.printf("%s profile of %s written to %s; where its samples went:%n%s", profileEvent, prefix,
                        profile, ProfileSummary.read(profile).table());
            }
            log.flush();
        }
        List<Double> inModels = new ArrayList<>();
        List<Double> retrieval = new ArrayList<>();
        List<Double> endToEnd = new ArrayList<>();
        double[] sentWall = new double[total];
        double[] latency = new double[total];
        double lastAnswer = wallAtStart;
        for (int i = 0; i < total; i++) {
            var arrival = chat.firstArrivalNanos(prefix + "-" + i);
            sentWall[i] = wallMicrosAtStart / 1e3 + (sentAt[i] - nanosAtStart) / 1e6;
            latency[i] = Double.NaN;
            if (!Double.isNaN(inModel[i]) && arrival.isPresent()) {
                inModels.add(inModel[i]);
                retrieval.add(retrieved[i]);
                latency[i] = (arrival.get() - sentAt[i]) / 1e6;
                endToEnd.add(latency[i]);
                lastAnswer = Math.max(lastAnswer, sentWall[i] + latency[i]);
            }
        }
        List<CheckpointSpans.Window> checkpoints = CheckpointSpans.between(wallAtStart, (long) lastAnswer + 1);
        TailEpisodes.Summary tail = TailEpisodes.of(sentWall, latency, percentile(endToEnd, 99), sentWall[0],
                lastAnswer, checkpoints, stalls.gc.pauses(), stalls.timeline::over);
        log.println(prefix + ": " + CheckpointSpans.summarize(checkpoints));
        log.print(prefix + ": " + tail.describe(sentWall[0]));
        log.printf(Locale.ROOT, "%s: %d sent, %d answered, end to end p50 %.1f ms, p99 %.1f ms; CPU per request "
                        + "%.2f ms (machine), %.2f ms (this JVM)%s; %.0f kB of heap allocated per request (this JVM); "
                        + "JIT compiling %.0f %% of the time%n", prefix, total, endToEnd.size(), percentile(endToEnd, 50),
                percentile(endToEnd, 99), cpu.machinePer(total), cpu.processPer(total),
                Double.isNaN(cpu.postgresMillis()) ? ""
                        : String.format(Locale.ROOT, ", %.2f ms (PostgreSQL)", cpu.postgresPer(total)),
                stalled.allocatedBytes() / 1024.0 / total, 100 * cpu.jitShare());
        log.flush();
        StageBreakdown.Summary breakdown = null;
        if (traced) {
            List<Integer> answered = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                if (!Double.isNaN(latency[i])) {
                    answered.add(i);
                }
            }
            // A span is exported after its stage ends, in batches: wait for the last answers' spans.
            chat.awaitCondition(() -> answered.stream().allMatch(i -> {
                StageTimes t = StageSpans.of(prefix + "-" + i);
                return t != null && t.complete();
            }), Duration.ofSeconds(10));
            breakdown = StageBreakdown.of(answered.stream().map(i -> {
                long sent = wallMicrosAtStart + (sentAt[i] - nanosAtStart) / 1000;
                return new StageBreakdown.Request(sent, sent + Math.round(latency[i] * 1000),
                        Math.round(embedCall[i] * 1000), StageSpans.of(prefix + "-" + i));
            }).toList());
        }
        return new Latencies(total, endToEnd, inModels, retrieval, stalled, cpu, tail, breakdown);
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
