package io.sluice.operators.batch;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.SharedModels;
import io.sluice.operators.retrieve.EmbeddingReuse;
import io.sluice.schemas.Hashing;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.EmbeddedChunk;

import org.apache.flink.api.common.accumulators.IntCounter;
import org.apache.flink.api.common.functions.RuntimeContext;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The backfill's {@code embed} stage: chunks whose content key is found in the previous snapshot
 * reuse its vector; the others of the batch go to the model in one call. Counts documents, chunks
 * and reused vectors in accumulators that the backfill client polls for progress.
 */
public final class ChunkEmbedder extends BatchFunction<Chunk, EmbeddedChunk> {

    private static final long serialVersionUID = 1L;

    /** Accumulators the backfill client polls for progress while the job runs. */
    public static final String DOCUMENTS_DONE = "sluice.backfill.documents";
    public static final String CHUNKS_DONE = "sluice.backfill.chunks";
    public static final String CHUNKS_REUSED = "sluice.backfill.reused";

    private final String embeddingModel;
    private final RuntimeOptions runtime;
    /** Directory of the snapshot to reuse vectors from, or null. */
    private final String previousSnapshot;

    private transient SharedModels.Lease<EmbeddingModel> model;
    private transient EmbeddingReuse reuse;
    private transient IntCounter documents;
    private transient IntCounter chunks;
    private transient IntCounter reused;

    public ChunkEmbedder(String embeddingModel, RuntimeOptions runtime, String previousSnapshot) {
        this.embeddingModel = embeddingModel;
        this.runtime = runtime;
        this.previousSnapshot = previousSnapshot;
    }

    /** Hash of the model and its exact input: equal keys give equal vectors. */
    public static String contentKey(String modelQualifiedId, Chunk chunk) {
        return Hashing.sha256Hex(modelQualifiedId + "\n" + chunk.embeddingInput());
    }

    @Override
    public void open(RuntimeContext context) throws Exception {
        documents = new IntCounter();
        chunks = new IntCounter();
        reused = new IntCounter();
        context.addAccumulator(DOCUMENTS_DONE, documents);
        context.addAccumulator(CHUNKS_DONE, chunks);
        context.addAccumulator(CHUNKS_REUSED, reused);
        model = EmbeddingModels.shared(embeddingModel, runtime);
        if (previousSnapshot != null) {
            reuse = EmbeddingReuse.open(Path.of(previousSnapshot));
        }
    }

    @Override
    public List<EmbeddedChunk> apply(List<Chunk> batch) throws Exception {
        String modelId = model.get().card().qualifiedId();
        float[][] vectors = new float[batch.size()][];
        boolean[] wasReused = new boolean[batch.size()];
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            Optional<float[]> known = reuse == null ? Optional.empty() : reuse.find(contentKey(modelId, batch.get(i)));
            if (known.isPresent()) {
                vectors[i] = known.get();
                wasReused[i] = true;
            } else {
                missing.add(i);
            }
        }
        if (!missing.isEmpty()) {
            List<float[]> computed = model.get().embed(missing.stream().map(i -> batch.get(i).embeddingInput()).toList());
            for (int j = 0; j < missing.size(); j++) {
                vectors[missing.get(j)] = computed.get(j);
            }
        }
        List<EmbeddedChunk> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Chunk c = batch.get(i);
            out.add(new EmbeddedChunk(c, contentKey(modelId, c), vectors[i], wasReused[i]));
            chunks.add(1);
            reused.add(wasReused[i] ? 1 : 0);
            // A document's chunks stay in one subtask, in order: its last chunk completes it.
            if (c.position() == c.chunksInDocument() - 1) {
                documents.add(1);
            }
        }
        return out;
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
