package io.sluice.bench;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.Chunker;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.Document;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * The backfill end to end (reading the documents, chunking, embedding in a Flink batch job,
 * writing the Lucene snapshot) against the bare embedding loop over the very same chunks, same
 * model, same threads and batch size, in one run: how much of the model's throughput the backfill
 * keeps.
 */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = "Backfill throughput (chunks/s, index writing included) against the bare embedding of the same chunks.")
public final class BackfillBenchmark implements Callable<Integer> {

    @Option(names = "--documents", description = "Generated documents (default: ${DEFAULT-VALUE}).")
    int documents = 600;

    @Option(names = "--embedding-model", description = "Embedding model (default: ${DEFAULT-VALUE}).")
    String embeddingModel = EmbeddingModels.DEFAULT;

    @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads = 1;

    @Option(names = "--parallelism", description = "Backfill embedding tasks, each with --threads threads on one "
            + "shared session; the bare loop runs with parallelism x threads (default: ${DEFAULT-VALUE}).")
    int parallelism = 1;

    @Option(names = "--concurrent-calls", description = "Model calls each backfill task (and the bare loop) runs at "
            + "once, one chunk per call for the int8 models (default: ${DEFAULT-VALUE}, the CLI's).")
    int concurrentCalls = 2;

    @Option(names = "--batch-size", description = "Chunks per embedding call (default: ${DEFAULT-VALUE}).")
    int batchSize = io.sluice.jobs.config.BackfillOptions.EMBEDDING_BATCH_SIZE.defaultValue();

    @Option(names = "--work-dir", description = "Scratch directory (default: ${DEFAULT-VALUE}).")
    Path workDir = Path.of(".sluice", "bench-backfill");

    @Option(names = "--output", description = "Where the Markdown table goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("benchmarks", "target", "backfill-throughput.md");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getErr();
        Path docs = generate(workDir.resolve("docs"), documents);
        List<String> inputs = chunkInputs(docs, log);
        RuntimeOptions runtime = RuntimeOptions.cpu(threads);
        // The bare loop gets every thread the backfill's tasks have together.
        double bare = bare(inputs, RuntimeOptions.cpu(threads * parallelism), log);

        Path index = workDir.resolve("index");
        io.sluice.operators.retrieve.IndexStore.deleteTree(index); // a fresh index: nothing to reuse
        long start = System.nanoTime();
        Backfill.Result result = new Backfill(new Backfill.Settings(docs, index, "default", ChunkerSettings.DEFAULT,
                embeddingModel, batchSize, runtime, parallelism).withConcurrentCalls(concurrentCalls), log).run();
        double seconds = (System.nanoTime() - start) / 1e9;
        int chunks = result.manifest().chunks();
        if (chunks != inputs.size()) {
            throw new IllegalStateException("the backfill made " + chunks + " chunks, the bare loop embedded "
                    + inputs.size() + ": not the same chunks");
        }
        double backfill = chunks / seconds;
        log.printf(Locale.ROOT, "backfill: %d chunks in %.1f s, %.1f chunks/s%n", chunks, seconds, backfill);

        String table = String.format(Locale.ROOT, "Measured %s on %d cores, JDK %s: %d generated documents, %d chunks "
                        + "(at most %d tokens), %s, batches of %d; backfill: parallelism %d, ONNX Runtime intra-op threads %d per "
                        + "task (one shared session), %d model calls at once per task; bare loop: %d threads, %d calls at "
                        + "once.%n%n"
                        + "| bare embedding, chunks/s | backfill end to end, chunks/s | backfill ÷ bare |%n"
                        + "|---:|---:|---:|%n| %.1f | %.1f | %.2f |%n",
                LocalDate.now(java.time.ZoneOffset.UTC), Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), documents, chunks, ChunkerSettings.DEFAULT.maxTokens(), embeddingModel,
                batchSize, parallelism, threads, concurrentCalls, threads * parallelism, concurrentCalls, bare, backfill,
                backfill / bare);
        BenchServing.publish(table, output, spec.commandLine().getOut(), log);
        return 0;
    }

    /** Seeded documents of 12 to 36 sentences: one to a few chunks each. */
    private static Path generate(Path dir, int count) throws IOException {
        io.sluice.operators.retrieve.IndexStore.deleteTree(dir);
        Files.createDirectories(dir);
        List<String> sentences = EmbeddingBenchmark.sentences(4_000);
        for (int d = 0; d < count; d++) {
            int length = 12 + (d * 7) % 25;
            StringBuilder text = new StringBuilder();
            for (int s = 0; s < length; s++) {
                text.append(sentences.get((d * 31 + s) % sentences.size())).append(' ');
            }
            Files.writeString(dir.resolve("doc-" + d + ".txt"), text.toString());
        }
        return dir;
    }

    /** What the embedding model sees of each chunk the backfill will make: same chunker, same tokenizer. */
    private List<String> chunkInputs(Path docs, PrintWriter log) throws IOException {
        List<String> inputs = new ArrayList<>();
        try (HfTokenizer tokenizer = EmbeddingModels.tokenizer(embeddingModel)) {
            Chunker chunker = new Chunker(ChunkerSettings.DEFAULT, tokenizer);
            for (Document doc : io.sluice.jobs.backfill.DocumentReader.read(docs, "default")) {
                for (Chunk chunk : chunker.chunk(doc)) {
                    inputs.add(chunk.embeddingInput());
                }
            }
        }
        log.printf(Locale.ROOT, "%d chunks to embed%n", inputs.size());
        return inputs;
    }

    /** Every chunk once through the model in batches, after a warm-up of a few batches. */
    private double bare(List<String> inputs, RuntimeOptions runtime, PrintWriter log) throws Exception {
        EmbeddingModel onnx = EmbeddingModels.open(embeddingModel, runtime);
        try (EmbeddingModel model = new io.sluice.model.ConcurrentEmbedding(onnx, onnx, concurrentCalls)) {
            for (int i = 0; i < 5 * batchSize && i < inputs.size(); i += batchSize) {
                model.embed(inputs.subList(i, Math.min(inputs.size(), i + batchSize)));
            }
            long start = System.nanoTime();
            for (int i = 0; i < inputs.size(); i += batchSize) {
                model.embed(inputs.subList(i, Math.min(inputs.size(), i + batchSize)));
            }
            double rate = inputs.size() / ((System.nanoTime() - start) / 1e9);
            log.printf(Locale.ROOT, "bare embedding: %.1f chunks/s%n", rate);
            return rate;
        }
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true");
        System.exit(new CommandLine(new BackfillBenchmark()).execute(args));
    }
}
