package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.chunk.Chunker;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.index.ShardBuilder;
import io.sluice.operators.retrieve.IndexStore;

import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.functions.RuntimeContext;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.stream.IntStream;

/**
 * What the backfill's and live ingestion's index stages share: the shards a subtask owns, and a
 * {@link ShardBuilder} over the index store with the model's tokenizer for chunking and the
 * {@link ChunkEmbedder} (vectors of the previous snapshot, then an embedding cache, then the model).
 */
final class ShardBuilding implements Serializable {

    private static final long serialVersionUID = 1L;

    private final String indexDir;
    private final ShardBuilder.Settings shards;
    private final int chunkMaxTokens;
    private final int chunkOverlapTokens;
    private final String embeddingModel;
    private final ChunkEmbedder embedder;

    private transient HfTokenizer tokenizer;

    ShardBuilding(String indexDir, ShardBuilder.Settings shards, ChunkerSettings chunker, String embeddingModel,
            ChunkEmbedder embedder) {
        this.indexDir = indexDir;
        this.shards = shards;
        this.chunkMaxTokens = chunker.maxTokens();
        this.chunkOverlapTokens = chunker.overlapTokens();
        this.embeddingModel = embeddingModel;
        this.embedder = embedder;
    }

    Path indexDir() {
        return Path.of(indexDir);
    }

    int shardCount() {
        return shards.shardCount();
    }

    /** The shards of subtask {@code task}: shard {@code s} belongs to subtask {@code s mod parallelism}, as the jobs partition them. */
    IntStream ownedShards(TaskInfo task) {
        return IntStream.iterate(task.getIndexOfThisSubtask(), s -> s < shards.shardCount(),
                s -> s + task.getNumberOfParallelSubtasks());
    }

    /** Opens the tokenizer and the embedder of this subtask and returns its builder. */
    ShardBuilder open(RuntimeContext context, ShardBuilder.Progress progress) throws Exception {
        tokenizer = EmbeddingModels.tokenizer(embeddingModel);
        embedder.open(context);
        return new ShardBuilder(new IndexStore(indexDir()), shards,
                new Chunker(new ChunkerSettings(chunkMaxTokens, chunkOverlapTokens), tokenizer), batch -> {
                    // Cache lookups start as chunks join a batch; here a batch is whole at once.
                    batch.forEach(embedder::added);
                    return embedder.apply(batch);
                }, progress);
    }

    void close() throws Exception {
        embedder.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
