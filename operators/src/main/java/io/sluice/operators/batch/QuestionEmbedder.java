package io.sluice.operators.batch;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.SharedModels;
import io.sluice.operators.cache.EmbeddingCache;
import io.sluice.operators.cache.RedisCache;
import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.EmbeddedRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;

import org.apache.flink.api.common.functions.RuntimeContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The serving job's {@code embed} stage: batches of questions embedded in up to
 * {@link Settings#concurrentCalls()} model calls at once, as many batches at once ({@link #apply} is
 * thread-safe: the model and the cache's lookups are). The model is the TaskManager's shared
 * instance. A question's vector does not depend on its batch (see {@code OnnxEmbeddingModelTest}),
 * so neither batching nor splitting a batch across calls ever changes an answer. With an embedding cache,
 * questions asked before (same tenant, same model) take their vector from Redis and only the rest
 * are embedded ({@link EmbeddingCache}); the time reported is the batch's, lookup included.
 */
public final class QuestionEmbedder extends BatchFunction<ChatRequest, EmbeddedRequest> {

    private static final long serialVersionUID = 1L;

    public static final String STAGE = "embed";
    /** The event on a question's span when its batch's model call returned. */
    public static final String CALL_ENDED = "model call ended";

    /**
     * The embed stage's settings.
     *
     * @param model the embedding model (a bundled name or a model directory)
     * @param runtime how its shared ONNX session runs
     * @param concurrentCalls model calls at once ({@link io.sluice.model.ConcurrentEmbedding}), and batches the
     *        stage runs at once (so {@link #apply} runs on that many threads at once)
     * @param maxBatchSize questions embedded together at most
     * @param maxWait longest a question that finds the model idle waits for others
     * @param cache where question vectors are cached; null or disabled: every question is embedded
     */
    public record Settings(String model, RuntimeOptions runtime, int concurrentCalls, int maxBatchSize,
            java.time.Duration maxWait, EmbeddingCache.Settings cache) implements java.io.Serializable {

        public Settings {
            io.sluice.model.ConcurrentEmbedding.requireCalls(concurrentCalls);
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("the embed stage's max batch size must be at least 1, not "
                        + maxBatchSize);
            }
        }

        /** One call at a time, batches of 32 with a 5 ms wait, no cache. */
        public static Settings of(String model, RuntimeOptions runtime) {
            return new Settings(model, runtime, 1, 32, java.time.Duration.ofMillis(5), null);
        }

        public Settings withCache(EmbeddingCache.Settings cache) {
            return new Settings(model, runtime, concurrentCalls, maxBatchSize, maxWait, cache);
        }
    }

    private final Settings settings;

    private transient EmbeddingModel model;
    private transient SharedModels.Lease<RedisCache> redis;
    private transient EmbeddingCache embeddings;
    /** Lookups started for the questions of the batch being gathered. */
    private transient EmbeddingCache.Prefetches<ChatRequest> lookups;
    private transient Tracing tracing;
    /**
     * When each question waiting for its batch joined it (epoch micros), for its span: written on the
     * task thread while {@link #apply} reads it on the batch thread.
     */
    private transient Map<String, Long> joined;
    /**
     * The spans of the questions embedded and not yet handed on, by position: put on the batch
     * thread, ended on the task thread when the question leaves the stage.
     */
    private transient Map<String, Tracing.StageSpan> handingOn;

    public QuestionEmbedder(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void open(RuntimeContext context) {
        open(context.getMetricGroup());
        tracing = Tracing.open(TracingOptions.settings(context.getGlobalJobParameters()));
        joined = new ConcurrentHashMap<>();
        handingOn = new ConcurrentHashMap<>();
    }

    /** Opens the model and the cache, with the cache's gauges in {@code metrics}. */
    public void open(org.apache.flink.metrics.MetricGroup metrics) {
        tracing = Tracing.OFF;
        model = EmbeddingModels.shared(settings.model(), settings.runtime(), settings.concurrentCalls());
        EmbeddingCache.Settings cache = settings.cache();
        if (cache != null && cache.enabled()) {
            redis = SharedModels.acquire("redis|" + cache.redisUri(),
                    () -> new RedisCache(cache.redisUri(), cache.timeout()));
            embeddings = new EmbeddingCache(redis.get(), cache.ttl());
            lookups = new EmbeddingCache.Prefetches<>(embeddings);
            embeddings.stats().register(metrics.addGroup("sluice").addGroup(STAGE).addGroup("cache"));
        }
    }

    @Override
    public List<EmbeddedRequest> apply(List<ChatRequest> batch) {
        long start = System.nanoTime();
        String modelId = model.card().qualifiedId();
        List<EmbeddingModel.QueryVector> vectors = embeddings == null
                ? model.embedQueriesCounted(batch.stream().map(ChatRequest::message).toList())
                : cachedOrEmbedded(modelId, batch);
        long micros = (System.nanoTime() - start) / 1000;
        long ended = Tracing.nowMicros();
        List<EmbeddedRequest> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            ChatRequest request = batch.get(i);
            // A question's span covers its wait for the batch too; one applied again alone after its
            // batch failed has no join time left and spans its own call. It ends when the question
            // is handed on, as every stage's does, so that what follows the call (the task's
            // mailbox, earlier batches) is the stage's, and the gap after it is the hop.
            Long since = joined == null ? null : joined.remove(request.position());
            Tracing.StageSpan span = tracing.start(STAGE, request, since == null ? ended - micros : since)
                    .attribute("sluice.batch_size", batch.size()).event(CALL_ENDED, ended);
            EmbeddingModel.QueryVector v = vectors.get(i);
            out.add(new EmbeddedRequest(span.on(request), modelId, v.vector(), micros, v.tokens()));
            if (tracing.enabled()) {
                handingOn.put(request.position(), span);
            }
        }
        return out;
    }

    /** Ends the question's span: it leaves the stage. */
    @Override
    public void handedOn(EmbeddedRequest result) {
        if (!tracing.enabled()) {
            return; // no span to end, and no position to spell out for every question
        }
        Tracing.StageSpan span = handingOn.remove(result.request().position());
        if (span != null) {
            span.end(Tracing.nowMicros()); // the clock of its start and its event
        }
    }

    /** Starts the question's cache lookup, read when its batch runs. */
    @Override
    public void added(ChatRequest request) {
        if (tracing.enabled()) {
            joined.put(request.position(), Tracing.nowMicros());
        }
        if (embeddings != null) {
            lookups.start(request, model.card().qualifiedId(), entry(request, model.card()));
        }
    }

    /** Cache lookups started and not back yet. */
    public long lookupsPending() {
        return lookups == null ? 0 : lookups.pending();
    }

    /** Questions whose vector came from the cache (0 without one). */
    public long cacheHits() {
        return embeddings == null ? 0 : embeddings.stats().hits();
    }

    /**
     * The batch's vectors: those in the cache (their questions' token counts not known), and the rest
     * embedded in one call and cached.
     */
    private List<EmbeddingModel.QueryVector> cachedOrEmbedded(String modelId, List<ChatRequest> batch) {
        // Lookups started when the questions joined the batch, waited for here (the batch's thread) at
        // most the cache's timeout; a question applied alone after its batch failed has none left: it
        // is embedded.
        float[][] vectors = new float[batch.size()][];
        List<Integer> at = embeddings.fill(lookups.take(batch),
                java.util.stream.IntStream.range(0, batch.size()).boxed().toList(), model.card().dimension(),
                vectors);
        EmbeddingModel.QueryVector[] out = new EmbeddingModel.QueryVector[batch.size()];
        for (int i = 0; i < vectors.length; i++) {
            out[i] = vectors[i] == null ? null : new EmbeddingModel.QueryVector(vectors[i], 0);
        }
        if (!at.isEmpty()) {
            List<EmbeddingCache.Entry> missing = at.stream().map(i -> entry(batch.get(i), model.card())).toList();
            List<EmbeddingModel.QueryVector> computed = model.embedQueriesCounted(
                    at.stream().map(i -> batch.get(i).message()).toList());
            for (int j = 0; j < at.size(); j++) {
                out[at.get(j)] = computed.get(j);
            }
            embeddings.store(modelId, missing, computed.stream().map(EmbeddingModel.QueryVector::vector).toList());
        }
        return java.util.Arrays.asList(out);
    }

    /**
     * The cache entry of a question: its text as the model sees it, with the model's query prefix, so
     * that an asymmetric model's query vector is never taken for the passage vector of the same text.
     */
    private static EmbeddingCache.Entry entry(ChatRequest request, io.sluice.model.ModelCard card) {
        return new EmbeddingCache.Entry(request.tenantId(), card.asQuery(request.message()));
    }

    /** The rejection of a question the model failed on (see {@code MicroBatchOperator}). */
    public static Rejection reject(ChatRequest request, String description) {
        return Rejection.of(STAGE, RejectReason.STAGE_FAILED, description, request);
    }

    @Override
    public void close() {
        if (model != null) {
            model.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (tracing != null) {
            tracing.close();
        }
    }
}
