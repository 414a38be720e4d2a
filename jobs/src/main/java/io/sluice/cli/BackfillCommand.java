package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.config.BackfillOptions;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.chunk.ChunkerSettings;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code sluice backfill}: documents to a new promoted index snapshot. */
@Command(name = "backfill", mixinStandardHelpOptions = true,
        description = "Chunk and embed documents into an immutable, content-addressed index snapshot and promote it.")
final class BackfillCommand implements Callable<Integer> {

    @Option(names = "--docs", required = true, description = "File or directory of .md, .txt, .jsonl(.gz) documents.")
    Path docs;

    @Option(names = "--index-dir", required = true, description = "Directory of index snapshots.")
    Path indexDir;

    @Option(names = "--tenant", description = "Tenant of documents that do not name one (default: ${DEFAULT-VALUE}).")
    String tenant = BackfillOptions.DEFAULT_TENANT.defaultValue();

    @Option(names = "--chunk-tokens", description = "Largest chunk in model tokens (default: ${DEFAULT-VALUE}).")
    int chunkTokens = BackfillOptions.CHUNK_MAX_TOKENS.defaultValue();

    @Option(names = "--chunk-overlap", description = "Overlap between chunks in tokens (default: ${DEFAULT-VALUE}).")
    int chunkOverlap = BackfillOptions.CHUNK_OVERLAP_TOKENS.defaultValue();

    @Option(names = "--batch-size", description = "Chunks per embedding call (default: ${DEFAULT-VALUE}).")
    int batchSize = BackfillOptions.EMBEDDING_BATCH_SIZE.defaultValue();

    @Option(names = "--model", description = "Embedding model (default: ${DEFAULT-VALUE}).")
    String model = EmbeddingModels.BUNDLED_MINILM;

    @Option(names = "--parallelism", description = "Parallel embedding tasks (default: ${DEFAULT-VALUE}).")
    int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

    @Option(names = "--model-threads", description = "ONNX Runtime threads per task (default: ${DEFAULT-VALUE}).")
    int modelThreads = 2;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private Backfill.Settings settings() {
        return new Backfill.Settings(docs, indexDir, tenant, new ChunkerSettings(chunkTokens, chunkOverlap),
                model, batchSize, modelThreads, parallelism);
    }

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        Backfill.Result result = new Backfill(settings(), out).run();
        out.println(result.snapshotId());
        out.flush();
        return 0;
    }
}
