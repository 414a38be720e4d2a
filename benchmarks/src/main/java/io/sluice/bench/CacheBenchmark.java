package io.sluice.bench;

import io.sluice.local.EmbeddedRedis;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.batch.QuestionEmbedder;
import io.sluice.model.chat.GenerationParams;
import io.sluice.operators.cache.EmbeddingCache;
import io.sluice.operators.cache.RedisCache;
import io.sluice.operators.cache.ResponseCache;
import io.sluice.schemas.ChatRequest;

import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * The embedding cache against embedding every question, in one run on one machine: the serving
 * job's embed stage ({@link QuestionEmbedder}, the bundled MiniLM) fed the same stream of batches
 * twice, once without a cache and once with a real redis-server, questions drawn from a pool with
 * Zipf-distributed popularity (a few questions asked often, most rarely — how FAQ traffic looks).
 * What the cache buys depends on that repeat rate; the table says which one it was measured at.
 * Then the response cache's lookups on the same stream: how long a hit and a miss take, and how many
 * model calls the hits save.
 */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = "Embed stage with and without the Redis embedding cache, and response-cache lookups, on "
                + "repeated questions.")
public final class CacheBenchmark implements Callable<Integer> {

    @Option(names = "--questions", description = "Questions embedded per run (default: ${DEFAULT-VALUE}).")
    int questions = 4000;

    @Option(names = "--pool", description = "Distinct questions they are drawn from (default: ${DEFAULT-VALUE}).")
    int pool = 2000;

    @Option(names = "--zipf", description = "Zipf exponent of their popularity; 0: uniform (default: ${DEFAULT-VALUE}).")
    double zipf = 1.0;

    @Option(names = "--batch", description = "Questions per embed batch (default: ${DEFAULT-VALUE}).")
    int batch = 16;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = 1;

    @Option(names = "--seed", description = "Seed of the question stream (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "cache.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final String[] SUBJECTS = {"refund", "parcel", "warranty", "invoice", "password", "subscription",
        "delivery", "exchange", "voucher", "account", "order", "return label", "payment", "discount", "address"};
    private static final String[] ASKS = {"How do I change my %s?", "Where can I find my %s?",
        "How long does a %s take?", "Why was my %s rejected?", "Can I cancel a %s?", "What does a %s cost?",
        "Who handles a %s?", "Is my %s still valid?"};

    /** Run results: questions per second and batch latencies in microseconds, sorted. */
    private record Run(double questionsPerSecond, long[] batchMicros, long hits) {
        long percentile(double p) {
            return batchMicros[Math.min(batchMicros.length - 1, (int) Math.ceil(p * batchMicros.length) - 1)];
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter log = spec.commandLine().getErr();
        List<List<ChatRequest>> batches = stream();
        long distinct = batches.stream().flatMap(List::stream).map(ChatRequest::message).distinct().count();
        log.printf(Locale.ROOT, "%d questions (%d distinct of a pool of %d, Zipf %.2f, seed %d) in batches of %d%n",
                questions, distinct, pool, zipf, seed, batch);
        RuntimeOptions runtime = RuntimeOptions.cpu(threads);
        QuestionEmbedder.Settings embed = QuestionEmbedder.Settings.of(EmbeddingModels.BUNDLED_MINILM, runtime);
        warmUp(new QuestionEmbedder(embed), batches);
        Run plain = run(new QuestionEmbedder(embed), batches);
        log.printf(Locale.ROOT, "no cache: %.0f questions/s%n", plain.questionsPerSecond());
        Run cached;
        Lookups lookups;
        try (EmbeddedRedis redis = EmbeddedRedis.start()) {
            cached = run(new QuestionEmbedder(
                    embed.withCache(new EmbeddingCache.Settings(redis.uri(), Duration.ofMinutes(5), TIMEOUT))), batches);
            log.printf(Locale.ROOT, "cache: %.0f questions/s%n", cached.questionsPerSecond());
            lookups = responseCache(redis.uri(), batches);
        }

        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "Measured %s: %d questions, %d distinct (pool %d, Zipf %.2f, seed %d), "
                + "batches of %d, bundled MiniLM fp32 with %d intra-op thread(s), redis-server 7 on the same machine, "
                + "cold cache at the start, lookups bounded by 5 ms (the default).%n%n", LocalDate.now(ZoneOffset.UTC), questions, distinct, pool, zipf, seed,
                batch, threads));
        table.append("| embed stage | questions/s | batch p50 | batch p99 | cache hits | × no cache |\n");
        table.append("|---|---:|---:|---:|---:|---:|\n");
        table.append(row("no cache", plain, plain));
        table.append(row("Redis embedding cache", cached, plain));
        table.append(String.format(Locale.ROOT, "%nThe response cache on the same stream of questions as turns (each key "
                + "looked up; a miss stands for a model call and stores a %d-character answer, not waited for):%n%n",
                ANSWER.length()));
        table.append("| response cache | lookups | hits = model calls saved | hit lookup p50 | hit lookup p99 "
                + "| miss lookup p50 | miss lookup p99 |\n");
        table.append("|---|---:|---:|---:|---:|---:|---:|\n");
        table.append(String.format(Locale.ROOT, "| Redis, same machine | %d | %d (%.1f %%) | %.0f µs | %.0f µs | %.0f µs "
                + "| %.0f µs |%n", questions, lookups.hits().length, 100.0 * lookups.hits().length / questions,
                percentile(lookups.hits(), 0.5), percentile(lookups.hits(), 0.99), percentile(lookups.misses(), 0.5),
                percentile(lookups.misses(), 0.99)));
        BenchServing.publish(table.toString(), output, out, log);
        return 0;
    }

    private String row(String name, Run r, Run baseline) {
        return String.format(Locale.ROOT, "| %s | %.0f | %.1f ms | %.1f ms | %.1f %% | %.2f |%n", name,
                r.questionsPerSecond(), r.percentile(0.50) / 1000.0, r.percentile(0.99) / 1000.0,
                100.0 * r.hits() / questions, r.questionsPerSecond() / baseline.questionsPerSecond());
    }

    /** The default of sluice.cache.timeout: a lookup slower than this is a miss. */
    private static final Duration TIMEOUT = Duration.ofMillis(5);

    private static final String ANSWER = ("Refunds are paid back to the original payment method within ten business "
            + "days of the return being received [1]. ").repeat(5);

    /** Lookup latencies of the response cache in microseconds, hits and misses apart, sorted. */
    private record Lookups(long[] hits, long[] misses) {}

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? Double.NaN
                : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private Lookups responseCache(String uri, List<List<ChatRequest>> batches) throws Exception {
        List<Long> hits = new ArrayList<>();
        List<Long> misses = new ArrayList<>();
        GenerationParams greedy = new GenerationParams(0, 1, 512, 0, List.of());
        try (RedisCache redis = new RedisCache(uri, TIMEOUT)) {
            ResponseCache.Redis store = new ResponseCache.Redis(redis);
            for (List<ChatRequest> batch : batches) {
                for (ChatRequest r : batch) {
                    String key = ResponseCache.key(r.tenantId(), "remote", 0, "openai-compatible:model", 0, 2, "snap",
                            EmbeddingModels.BUNDLED_MINILM, io.sluice.schemas.Hashing.sha256Hex(r.message()), greedy);
                    long t0 = System.nanoTime();
                    ResponseCache.Cached found = store.get(key, r.position()).get();
                    long micros = (System.nanoTime() - t0) / 1000;
                    if (found != null) {
                        hits.add(micros);
                    } else {
                        misses.add(micros);
                        store.put(key, new ResponseCache.Cached(ANSWER, "model-1", "stop", 40, r.position()),
                                Duration.ofHours(1));
                    }
                }
            }
        }
        return new Lookups(hits.stream().mapToLong(Long::longValue).sorted().toArray(),
                misses.stream().mapToLong(Long::longValue).sorted().toArray());
    }

    /** The question stream: each question drawn from the pool by its Zipf rank. */
    private List<List<ChatRequest>> stream() {
        double[] cumulative = new double[pool];
        double sum = 0;
        for (int k = 0; k < pool; k++) {
            sum += 1.0 / Math.pow(k + 1, zipf);
            cumulative[k] = sum;
        }
        Random random = new Random(seed);
        List<List<ChatRequest>> batches = new ArrayList<>();
        List<ChatRequest> current = new ArrayList<>();
        for (int i = 0; i < questions; i++) {
            int k = Arrays.binarySearch(cumulative, random.nextDouble() * sum);
            int rank = k >= 0 ? k : Math.min(pool - 1, -k - 1);
            current.add(new ChatRequest("q" + i, "default", "c" + i, question(rank), 5, 1024, i, 0, i));
            if (current.size() == batch) {
                batches.add(current);
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }

    private static String question(int rank) {
        String ask = ASKS[rank % ASKS.length].formatted(SUBJECTS[(rank / ASKS.length) % SUBJECTS.length]);
        int variant = rank / (ASKS.length * SUBJECTS.length);
        return variant == 0 ? ask : ask + " (case " + variant + ")";
    }

    private static void warmUp(QuestionEmbedder embedder, List<List<ChatRequest>> batches) throws Exception {
        embedder.open(new UnregisteredMetricsGroup());
        try {
            for (int i = 0; i < Math.min(20, batches.size()); i++) {
                embedder.apply(batches.get(i));
            }
        } finally {
            embedder.close();
        }
    }

    private Run run(QuestionEmbedder embedder, List<List<ChatRequest>> batches) throws Exception {
        embedder.open(new UnregisteredMetricsGroup());
        try {
            long[] micros = new long[batches.size()];
            long t0 = System.nanoTime();
            for (int i = 0; i < batches.size(); i++) {
                long b0 = System.nanoTime();
                // As the operator gathers a batch: each question starts its lookup as it joins, and
                // apply waits for the lookups (at most the cache's timeout) before it embeds the misses.
                batches.get(i).forEach(embedder::added);
                embedder.apply(batches.get(i));
                micros[i] = (System.nanoTime() - b0) / 1000;
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Arrays.sort(micros);
            return new Run(questions / seconds, micros, embedder.cacheHits());
        } finally {
            embedder.close();
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new CacheBenchmark()).execute(args));
    }
}
