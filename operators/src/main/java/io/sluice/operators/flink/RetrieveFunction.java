package io.sluice.operators.flink;

import io.sluice.operators.failure.RecordFailures;
import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.operators.retrieve.SearchSettings;
import io.sluice.schemas.EmbeddedRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code retrieve} stage: hybrid search over the pinned snapshot with the question and its
 * embedding, filtered to the request's tenant. Stateless; the snapshot id is fixed when the job is
 * built. A search that fails because of the request becomes its {@code STAGE_FAILED} rejection; one
 * that fails because the snapshot cannot be read fails the job over ({@link RecordFailures}).
 */
public final class RetrieveFunction extends ProcessFunction<EmbeddedRequest, RetrievedRequest> {

    private static final long serialVersionUID = 1L;

    public static final String STAGE = "retrieve";

    private final String indexDir;
    private final String snapshotId;
    private final int candidateDepth;
    private final SearchSettings search;

    private transient HybridSearcher searcher;
    private transient StageMetrics metrics;
    private transient Tracing tracing;

    public RetrieveFunction(String indexDir, String snapshotId, int candidateDepth, SearchSettings search) {
        this.indexDir = indexDir;
        this.snapshotId = snapshotId;
        this.candidateDepth = candidateDepth;
        this.search = search;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        searcher = HybridSearcher.open(new IndexStore(Path.of(indexDir)), snapshotId, search);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), STAGE);
        tracing = Tracing.open(TracingOptions.settings(getRuntimeContext().getGlobalJobParameters()));
    }

    @Override
    public void processElement(EmbeddedRequest embedded, Context ctx, Collector<RetrievedRequest> out) {
        long start = System.nanoTime();
        var request = embedded.request();
        Tracing.StageSpan span = tracing.start(STAGE, request);
        List<RetrievedChunk> chunks;
        try {
            chunks = searcher.search(SearchMode.HYBRID, request.tenantId(), request.message(), embedded.vector(),
                    request.topK(), candidateDepth);
        } catch (RuntimeException | StackOverflowError e) {
            String description = RecordFailures.describeOrRethrow(e);
            metrics.rejected(RejectReason.STAGE_FAILED);
            ctx.output(Rejections.TAG, Rejection.of(STAGE, RejectReason.STAGE_FAILED, description, request));
            span.failed(description).end();
            return;
        }
        long micros = (System.nanoTime() - start) / 1000;
        metrics.latency(micros);
        metrics.passed();
        out.collect(new RetrievedRequest(span.on(request), snapshotId, embedded.embeddingModel(), chunks,
                embedded.embedMicros(), micros));
        span.end();
    }

    @Override
    public void close() {
        if (searcher != null) {
            searcher.close();
        }
        if (tracing != null) {
            tracing.close();
        }
    }
}
