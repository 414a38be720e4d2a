package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.retrieve.EmbeddingReuse;
import io.sluice.operators.text.Hashing;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.EmbeddedChunk;

import org.apache.flink.api.common.accumulators.IntCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapPartitionFunction;
import org.apache.flink.util.Collector;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The backfill's {@code embed} stage over a whole partition (batch execution): chunks whose content
 * key is found in the previous snapshot reuse its vector; the others are embedded in batches of
 * {@code batchSize}.
 */
public final class EmbedPartitionFunction extends RichMapPartitionFunction<Chunk, EmbeddedChunk> {

    private static final long serialVersionUID = 1L;

    private final String embeddingModel;
    private final int batchSize;
    private final int modelThreads;
    /** Directory of the snapshot to reuse vectors from, or null. */
    private final String previousSnapshot;

    /** Accumulators the backfill client polls for progress while the job runs. */
    public static final String DOCUMENTS_DONE = "sluice.backfill.documents";
    public static final String CHUNKS_DONE = "sluice.backfill.chunks";
    public static final String CHUNKS_REUSED = "sluice.backfill.reused";

    private transient EmbeddingModel model;
    private transient EmbeddingReuse reuse;
    private transient IntCounter documents;
    private transient IntCounter chunksDone;
    private transient IntCounter reused;

    public EmbedPartitionFunction(String embeddingModel, int batchSize, int modelThreads,
            String previousSnapshot) {
        this.embeddingModel = embeddingModel;
        this.batchSize = batchSize;
        this.modelThreads = modelThreads;
        this.previousSnapshot = previousSnapshot;
    }

    /** Hash of the model and its exact input: equal keys give equal vectors. */
    public static String contentKey(String modelQualifiedId, Chunk chunk) {
        return Hashing.sha256Hex(modelQualifiedId + "\n" + chunk.embeddingInput());
    }

    @Override
    public void open(OpenContext context) throws Exception {
        documents = new IntCounter();
        chunksDone = new IntCounter();
        reused = new IntCounter();
        getRuntimeContext().addAccumulator(DOCUMENTS_DONE, documents);
        getRuntimeContext().addAccumulator(CHUNKS_DONE, chunksDone);
        getRuntimeContext().addAccumulator(CHUNKS_REUSED, reused);
        model = EmbeddingModels.open(embeddingModel, modelThreads);
        if (previousSnapshot != null) {
            reuse = EmbeddingReuse.open(Path.of(previousSnapshot));
        }
    }

    @Override
    public void mapPartition(Iterable<Chunk> chunks, Collector<EmbeddedChunk> out) throws Exception {
        String modelId = model.card().qualifiedId();
        List<Chunk> batch = new ArrayList<>(batchSize);
        for (Chunk chunk : chunks) {
            String key = contentKey(modelId, chunk);
            Optional<float[]> known = reuse == null ? Optional.empty() : reuse.find(key);
            if (known.isPresent()) {
                reused.add(1);
                emit(new EmbeddedChunk(chunk, key, known.get(), true), out);
                continue;
            }
            batch.add(chunk);
            if (batch.size() == batchSize) {
                embed(batch, modelId, out);
            }
        }
        embed(batch, modelId, out);
    }

    private void embed(List<Chunk> batch, String modelId, Collector<EmbeddedChunk> out) {
        if (batch.isEmpty()) {
            return;
        }
        List<float[]> vectors = model.embed(batch.stream().map(Chunk::embeddingInput).toList());
        for (int i = 0; i < batch.size(); i++) {
            emit(new EmbeddedChunk(batch.get(i), contentKey(modelId, batch.get(i)), vectors.get(i), false), out);
        }
        batch.clear();
    }

    private void emit(EmbeddedChunk chunk, Collector<EmbeddedChunk> out) {
        chunksDone.add(1);
        // A document's chunks stay in one partition, in order: its last chunk completes it.
        if (chunk.chunk().position() == chunk.chunk().chunksInDocument() - 1) {
            documents.add(1);
        }
        out.collect(chunk);
    }

    @Override
    public void close() throws Exception {
        if (reuse != null) {
            reuse.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
