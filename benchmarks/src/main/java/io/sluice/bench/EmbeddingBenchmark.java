package io.sluice.bench;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.SharedModels;
import io.sluice.operators.batch.BatchFunction;
import io.sluice.operators.flink.MicroBatchOperator;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Embedding throughput, in sentences per second, of five ways to run all-MiniLM-L6-v2 on the same
 * sentences in the same JVM, per batch size:
 * <ol type="a">
 *   <li>the bare ONNX Runtime loop on pre-tokenised tensors: the limit of this machine;
 *   <li>Sluice's runtime call ({@code EmbeddingModel.embed}: tokenise, run, pool, normalise);
 *   <li>Sluice's micro-batching operator in a Flink job (MiniCluster, parallelism 1), timed from the
 *       first batch to the last so that job start-up is not counted;
 *   <li>the peer, langchain4j's {@code AllMiniLmL6V2EmbeddingModel.embedAll} with its defaults, in
 *       a JVM of its own ({@link PeerBenchmark}), run before the others so nothing competes;
 *   <li>Sluice's runtime call on the int8-quantised MiniLM.
 * </ol>
 * (a), (b), (c) and (e) use the same ONNX Runtime thread count. Prints a Markdown table with ratios
 * and writes it to {@code --output}. Speed is measured here, never asserted in tests.
 */
@Command(name = "embeddings", mixinStandardHelpOptions = true,
        description = "Embedding throughput: bare ONNX Runtime vs Sluice vs langchain4j.")
public final class EmbeddingBenchmark implements Callable<Integer> {

    @Option(names = "--batch-sizes", split = ",", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> batchSizes = List.of(1, 8, 32, 64);

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--execution-provider", description = "For (b), (c) and (e): ${COMPLETION-CANDIDATES} "
            + "(default: ${DEFAULT-VALUE}; CUDA needs a -Pgpu build). (a) and (d) always run on the CPU.")
    RuntimeOptions.ExecutionProvider provider = RuntimeOptions.ExecutionProvider.CPU;

    @Option(names = "--seconds", description = "Measured seconds per contender and batch size (default: ${DEFAULT-VALUE}).")
    double seconds = 8;

    @Option(names = "--warmup-seconds", description = "Warm-up seconds per contender (default: ${DEFAULT-VALUE}).")
    double warmupSeconds = 2;

    @Option(names = "--flink-sentences", description = "Sentences through the Flink job per batch size (default: ${DEFAULT-VALUE}).")
    int flinkSentences = 1536;

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "embedding-benchmark.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The sentences every contender embeds: seeded, about 35 tokens each. */
    static List<String> sentences(int count) {
        String[] words = ("stream state checkpoint kafka partition consumer offset record key value window "
                + "operator latency throughput model token batch vector index search query answer document "
                + "chunk tenant request response audit replay savepoint restore cluster task slot memory disk "
                + "network buffer barrier watermark event time order history context budget retrieval fusion "
                + "rank score embedding sentence library runtime session thread engine graph node layer").split(" ");
        Random random = new Random(42);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder("The");
            for (int w = 0; w < 27; w++) {
                sb.append(' ').append(words[random.nextInt(words.length)]);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        Map<Integer, Double> peerRates = peer(log);
        List<String> sentences = sentences(256);
        RuntimeOptions runtime = new RuntimeOptions(threads, 1, provider);
        double meanTokens;
        try (HfTokenizer tokenizer = EmbeddingModels.bundledMiniLmTokenizer()) {
            meanTokens = sentences.stream().mapToInt(tokenizer::count).average().orElse(0) + 2; // [CLS], [SEP]
        }
        Map<Integer, double[]> results = new LinkedHashMap<>();
        for (int b : batchSizes) {
            results.put(b, new double[5]);
        }
        // DJL creates the process-wide ONNX Runtime environment and refuses one made by anybody
        // else, so its models load before the bare session, which then shares that environment.
        try (EmbeddingModel sluice = EmbeddingModels.open(EmbeddingModels.BUNDLED_MINILM, runtime);
                EmbeddingModel quantised = EmbeddingModels.open(EmbeddingModels.BUNDLED_MINILM_QUANTIZED, runtime);
                BareOrt bare = new BareOrt(threads)) {
            for (int b : batchSizes) {
                List<List<String>> batches = Throughput.batches(sentences, b);
                List<BareOrt.Inputs> tensors = bare.prepare(batches);
                double[] r = results.get(b);
                r[0] = measure(log, "bare ORT", b, batches, i -> bare.run(tensors.get(i)));
                r[1] = measure(log, "Sluice runtime", b, batches, i -> sluice.embed(batches.get(i)));
                r[3] = peerRates.get(b);
                r[4] = measure(log, "Sluice int8", b, batches, i -> quantised.embed(batches.get(i)));
                tensors.forEach(BareOrt.Inputs::close);
            }
        }
        for (int b : batchSizes) {
            results.get(b)[2] = flink(log, b, runtime);
        }
        String table = table(results, meanTokens);
        spec.commandLine().getOut().print(table);
        spec.commandLine().getOut().flush();
        Files.createDirectories(output.toAbsolutePath().getParent());
        Files.writeString(output, table);
        log.println("wrote " + output);
        log.flush();
        return 0;
    }

    private double measure(PrintWriter log, String name, int batchSize, List<List<String>> batches,
            Throughput.BatchRun run) throws Exception {
        double rate = Throughput.measure(batchSize, batches.size(), warmupSeconds, seconds, run);
        report(log, name, batchSize, rate);
        return rate;
    }

    private static void report(PrintWriter log, String name, int batchSize, double rate) {
        log.printf(Locale.ROOT, "%-15s batch %3d: %8.1f sentences/s%n", name, batchSize, rate);
        log.flush();
    }

    /** (d) in a child JVM with this classpath, before anything here loads ONNX Runtime. */
    private Map<Integer, Double> peer(PrintWriter log) throws Exception {
        String javaBinary = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(javaBinary, "-Xmx2g", "-cp", System.getProperty("java.class.path"),
                PeerBenchmark.class.getName(),
                String.join(",", batchSizes.stream().map(String::valueOf).toList()),
                Double.toString(warmupSeconds), Double.toString(seconds))
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("The langchain4j run failed (exit " + process.exitValue() + "): " + output);
        }
        Map<Integer, Double> rates = new LinkedHashMap<>();
        for (String line : output.strip().split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length == 2 && f[0].matches("\\d+")) {
                rates.put(Integer.parseInt(f[0]), Double.parseDouble(f[1]));
                report(log, "langchain4j", Integer.parseInt(f[0]), Double.parseDouble(f[1]));
            }
        }
        if (!rates.keySet().containsAll(batchSizes)) {
            throw new IllegalStateException("The langchain4j run reported no rate for some batch sizes: " + output);
        }
        return rates;
    }

    /** (c): the micro-batching operator in a Flink job, timed inside the batch function. */
    private double flink(PrintWriter log, int batchSize, RuntimeOptions runtime) throws Exception {
        TimedEmbedder.reset();
        List<String> input = new ArrayList<>(flinkSentences);
        List<String> base = sentences(256);
        for (int i = 0; i < flinkSentences; i++) {
            input.add(base.get(i % base.size()));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
        env.setParallelism(1);
        MicroBatchOperator.apply(env.fromData(input, Types.STRING), "embed",
                        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO,
                        new TimedEmbedder(runtime), batchSize, Duration.ofMillis(50))
                .sinkTo(new DiscardingSink<>());
        env.execute("embedding-benchmark-" + batchSize);
        double rate = TimedEmbedder.SENTENCES.get() / ((TimedEmbedder.LAST_END.get() - TimedEmbedder.FIRST_START.get()) / 1e9);
        log.printf(Locale.ROOT, "%-15s batch %3d: %8.1f sentences/s%n", "Sluice in Flink", batchSize, rate);
        log.flush();
        return rate;
    }

    /**
     * Embeds through the shared session and records the span from the first batch's start to the
     * last batch's end. Static counters are fine here: the MiniCluster runs in this JVM.
     */
    static final class TimedEmbedder extends BatchFunction<String, float[]> {
        static final AtomicLong FIRST_START = new AtomicLong();
        static final AtomicLong LAST_END = new AtomicLong();
        static final AtomicLong SENTENCES = new AtomicLong();

        private final RuntimeOptions runtime;
        private transient SharedModels.Lease<EmbeddingModel> model;

        TimedEmbedder(RuntimeOptions runtime) {
            this.runtime = runtime;
        }

        static void reset() {
            FIRST_START.set(0);
            LAST_END.set(0);
            SENTENCES.set(0);
        }

        @Override
        public void open(RuntimeContext context) {
            model = EmbeddingModels.shared(EmbeddingModels.BUNDLED_MINILM, runtime);
        }

        @Override
        public List<float[]> apply(List<String> batch) {
            FIRST_START.compareAndSet(0, System.nanoTime());
            List<float[]> out = model.get().embed(batch);
            SENTENCES.addAndGet(batch.size());
            LAST_END.set(System.nanoTime());
            return out;
        }

        @Override
        public void close() {
            if (model != null) {
                model.close();
            }
        }
    }

    /** (a): ONNX Runtime alone, on tensors prepared before the clock starts. */
    private static final class BareOrt implements AutoCloseable {
        private final OrtEnvironment env = OrtEnvironment.getEnvironment();
        private final OrtSession session;
        private final HfTokenizer tokenizer = EmbeddingModels.bundledMiniLmTokenizer();

        record Inputs(Map<String, OnnxTensor> tensors) implements AutoCloseable {
            @Override
            public void close() {
                tensors.values().forEach(OnnxTensor::close);
            }
        }

        BareOrt(int threads) throws Exception {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            Path onnx = EmbeddingModels.bundledDirectory(EmbeddingModels.BUNDLED_MINILM).resolve("model.onnx");
            session = env.createSession(onnx.toString(), options);
        }

        List<Inputs> prepare(List<List<String>> batches) throws Exception {
            List<Inputs> out = new ArrayList<>();
            for (List<String> batch : batches) {
                HfTokenizer.Batch b = tokenizer.encodeBatch(batch);
                long[] shape = {b.rows(), b.width()};
                out.add(new Inputs(Map.of(
                        "input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(b.ids()), shape),
                        "attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(b.attentionMask()), shape),
                        "token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(b.typeIds()), shape))));
            }
            return out;
        }

        void run(Inputs inputs) throws Exception {
            try (OrtSession.Result result = session.run(inputs.tensors())) {
                result.get(0);
            }
        }

        @Override
        public void close() throws Exception {
            session.close();
            tokenizer.close();
        }
    }

    private String table(Map<Integer, double[]> results, double meanTokens) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Measured %s on %d cores, %s, ONNX Runtime intra-op threads %d, "
                        + "execution provider %s for (b), (c), (e); 256 seeded sentences of %.1f tokens on average; "
                        + "%.0f s per cell after %.0f s warm-up.%n%n",
                LocalDate.now(java.time.ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(),
                "JDK " + System.getProperty("java.version"), threads, provider, meanTokens, seconds, warmupSeconds));
        sb.append("| batch | (a) bare ORT | (b) Sluice runtime | (c) Sluice operator in Flink | (d) langchain4j embedAll "
                + "| (e) Sluice int8 | b/a | c/a | c/d | e/b |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        results.forEach((batch, r) -> sb.append(String.format(Locale.ROOT,
                "| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f |%n",
                batch, r[0], r[1], r[2], r[3], r[4], r[1] / r[0], r[2] / r[0], r[2] / r[3], r[4] / r[1])));
        sb.append("\nsentences/s; higher is better. (c) counts from its first batch to its last, so Flink job "
                + "start-up is excluded.\n");
        return sb.toString();
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.exit(new CommandLine(new EmbeddingBenchmark()).execute(args));
    }
}
