package io.sluice.operators.flink;

import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.schemas.EmbeddedRequest;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code retrieve} stage: hybrid search over the pinned snapshot with the question and its
 * embedding, filtered to the request's tenant. Stateless; the snapshot id is fixed when the job is
 * built.
 */
public final class RetrieveFunction extends RichMapFunction<EmbeddedRequest, RetrievedRequest> {

    private static final long serialVersionUID = 1L;

    private final String indexDir;
    private final String snapshotId;
    private final int candidateDepth;

    private transient HybridSearcher searcher;
    private transient StageMetrics metrics;

    public RetrieveFunction(String indexDir, String snapshotId, int candidateDepth) {
        this.indexDir = indexDir;
        this.snapshotId = snapshotId;
        this.candidateDepth = candidateDepth;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        searcher = HybridSearcher.open(new IndexStore(Path.of(indexDir)), snapshotId);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "retrieve");
    }

    @Override
    public RetrievedRequest map(EmbeddedRequest embedded) {
        long start = System.nanoTime();
        var request = embedded.request();
        List<RetrievedChunk> chunks = searcher.search(SearchMode.HYBRID, request.tenantId(),
                request.message(), embedded.vector(), request.topK(), candidateDepth);
        long micros = (System.nanoTime() - start) / 1000;
        metrics.latency(micros);
        metrics.passed();
        return new RetrievedRequest(request, snapshotId, embedded.embeddingModel(), chunks,
                embedded.embedMicros(), micros);
    }

    @Override
    public void close() {
        if (searcher != null) {
            searcher.close();
        }
    }
}
