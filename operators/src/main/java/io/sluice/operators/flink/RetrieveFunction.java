package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code retrieve} stage: embeds the question and runs hybrid search over the pinned snapshot,
 * filtered to the request's tenant. Stateless; the snapshot id is fixed when the job is built.
 */
public final class RetrieveFunction extends RichMapFunction<ChatRequest, RetrievedRequest> {

    private static final long serialVersionUID = 1L;

    private final String indexDir;
    private final String snapshotId;
    private final String embeddingModel;
    private final int candidateDepth;
    private final int modelThreads;

    private transient EmbeddingModel model;
    private transient HybridSearcher searcher;
    private transient StageMetrics metrics;

    public RetrieveFunction(String indexDir, String snapshotId, String embeddingModel,
            int candidateDepth, int modelThreads) {
        this.indexDir = indexDir;
        this.snapshotId = snapshotId;
        this.embeddingModel = embeddingModel;
        this.candidateDepth = candidateDepth;
        this.modelThreads = modelThreads;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        model = EmbeddingModels.open(embeddingModel, modelThreads);
        searcher = HybridSearcher.open(new IndexStore(Path.of(indexDir)), snapshotId);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "retrieve");
    }

    @Override
    public RetrievedRequest map(ChatRequest request) {
        long start = System.nanoTime();
        float[] vector = model.embed(request.message());
        List<RetrievedChunk> chunks = searcher.search(SearchMode.HYBRID, request.tenantId(),
                request.message(), vector, request.topK(), candidateDepth);
        long micros = (System.nanoTime() - start) / 1000;
        metrics.latency(micros);
        metrics.passed();
        return new RetrievedRequest(request, snapshotId, model.card().qualifiedId(), chunks, micros);
    }

    @Override
    public void close() {
        if (searcher != null) {
            searcher.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
