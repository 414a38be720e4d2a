package io.sluice.bench;

import io.sluice.cli.FlinkConf;
import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.config.BackfillOptions;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.LocalStack;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;

import org.apache.flink.configuration.Configuration;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the serving benchmarks share: a backfilled synthetic corpus and the serving job's settings. */
final class BenchServing {

    private BenchServing() {}

    /**
     * Backfills 100 synthetic documents under {@code workDir} and returns the serving settings for
     * {@code stack}: the same Flink settings as {@code sluice demo} and {@code sluice serve},
     * parallelism 1, {@code threads} ONNX Runtime threads.
     */
    static Configuration configuration(LocalStack stack, Path workDir, int threads, PrintWriter log) throws Exception {
        return configuration(stack, workDir, threads, EmbeddingModels.DEFAULT, log);
    }

    /** As {@link #configuration(LocalStack, Path, int, PrintWriter)}, the corpus embedded by {@code embeddingModel}. */
    static Configuration configuration(LocalStack stack, Path workDir, int threads, String embeddingModel,
            PrintWriter log) throws Exception {
        return configuration(stack, workDir, threads, embeddingModel, BackfillOptions.SHARDS.defaultValue(), log);
    }

    /** As {@link #configuration(LocalStack, Path, int, String, PrintWriter)}, the snapshot in {@code shards} shards. */
    static Configuration configuration(LocalStack stack, Path workDir, int threads, String embeddingModel, int shards,
            PrintWriter log) throws Exception {
        Path docs = Files.createDirectories(workDir.resolve("docs"));
        List<String> sentences = EmbeddingBenchmark.sentences(400);
        for (int d = 0; d < 100; d++) {
            Files.writeString(docs.resolve("doc-" + d + ".txt"), String.join(" ", sentences.subList(d * 4, d * 4 + 4)));
        }
        Path index = workDir.resolve("index");
        new Backfill(new Backfill.Settings(docs, index, "default", ChunkerSettings.DEFAULT,
                embeddingModel, 32, RuntimeOptions.cpu(threads), 1).withShards(shards), log).run();
        Configuration conf = FlinkConf.load(null);
        conf.addAll(stack.servingConfig(index));
        // The serving tables were measured without caches (repeated questions would hit); bench cache measures them.
        conf.set(ServingOptions.CACHE_REDIS_URI, "");
        conf.setString("parallelism.default", "1");
        conf.set(ServingOptions.EMBEDDING_INTRA_OP_THREADS, threads);
        conf.set(ServingOptions.EMBEDDING_MODEL, embeddingModel);
        return conf;
    }

    /** Prints {@code table} and writes it to {@code output}. */
    static void publish(String table, Path output, PrintWriter out, PrintWriter log) throws IOException {
        out.print(table);
        out.flush();
        Files.createDirectories(output.toAbsolutePath().getParent());
        Files.writeString(output, table);
        log.println("wrote " + output);
        log.flush();
    }

    /** The labeled set a benchmark reads: {@code dataset}, or the one bundled in this jar as {@code bundled}. */
    static java.io.InputStream dataset(Path dataset, String bundled) throws IOException {
        if (dataset != null) {
            return Files.newInputStream(dataset);
        }
        java.io.InputStream in = BenchServing.class.getResourceAsStream(bundled);
        if (in == null) {
            throw new IOException("the bundled " + bundled + " is missing from the benchmarks jar");
        }
        return in;
    }
}
