package io.sluice.operators.flink;

import io.sluice.operators.failure.RecordFailures;
import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;
import io.sluice.operators.retrieve.HybridSearcher;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchMode;
import io.sluice.operators.retrieve.SearchSettings;
import io.sluice.operators.retrieve.SnapshotSchedule;
import io.sluice.operators.retrieve.SnapshotSearchers;
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
 * The {@code retrieve} stage: hybrid search with the question and its embedding, filtered to the
 * request's tenant, over the pinned snapshot or, for a job that follows promotions, the snapshot
 * the promotion log names for the request's event time ({@link SnapshotSearchers}). Stateless: the
 * choice is a function of the event time and the log, so a replay makes it again. A search that
 * fails because of the request becomes its {@code STAGE_FAILED} rejection; one that fails because the
 * snapshot cannot be read fails the job over ({@link RecordFailures}).
 */
public final class RetrieveFunction extends ProcessFunction<EmbeddedRequest, RetrievedRequest> {

    private static final long serialVersionUID = 1L;

    public static final String STAGE = "retrieve";

    private final String indexDir;
    private final String snapshotId;
    private final int candidateDepth;
    private final SearchSettings search;
    private final String queryModel;

    private transient SnapshotSearchers searchers;
    private transient StageMetrics metrics;
    private transient Tracing tracing;

    /**
     * @param snapshotId the pinned snapshot, or null to follow promotions
     * @param queryModel the qualified id of the questions' model (promotions of snapshots embedded with
     *     another are refused)
     */
    public RetrieveFunction(String indexDir, String snapshotId, String queryModel, int candidateDepth,
            SearchSettings search) {
        this.queryModel = queryModel;
        this.indexDir = indexDir;
        this.snapshotId = snapshotId;
        this.candidateDepth = candidateDepth;
        this.search = search;
    }

    @Override
    public void open(OpenContext context) throws Exception {
        IndexStore store = new IndexStore(Path.of(indexDir));
        searchers = snapshotId != null ? SnapshotSearchers.pinned(store, snapshotId, search)
                : SnapshotSearchers.following(store, new SnapshotSchedule(store, queryModel, System::currentTimeMillis),
                        search);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), STAGE);
        var group = getRuntimeContext().getMetricGroup().addGroup("sluice").addGroup(STAGE);
        group.gauge("snapshots_opened", () -> searchers.openedCount());
        group.gauge("promotions_refused", () -> searchers.refusedPromotions());
        tracing = Tracing.open(TracingOptions.settings(getRuntimeContext().getGlobalJobParameters()));
    }

    @Override
    public void processElement(EmbeddedRequest embedded, Context ctx, Collector<RetrievedRequest> out) {
        long start = System.nanoTime();
        var request = embedded.request();
        Tracing.StageSpan span = tracing.start(STAGE, request);
        List<RetrievedChunk> chunks;
        HybridSearcher searcher;
        try {
            searcher = searchers.forEventTime(request.eventTime());
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
        RetrievedRequest retrieved = new RetrievedRequest(span.on(request), searcher.snapshotId(),
                embedded.embeddingModel(), chunks, embedded.embedMicros(), micros, embedded.questionTokens());
        // Ended before the hand-over: the conversation stage is chained here, and its work is its own span's.
        span.end();
        out.collect(retrieved);
    }

    @Override
    public void close() {
        if (searchers != null) {
            searchers.close();
        }
        if (tracing != null) {
            tracing.close();
        }
    }
}
