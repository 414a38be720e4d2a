package io.sluice.operators.batch;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.SharedModels;
import io.sluice.operators.cache.EmbeddingCache;
import io.sluice.operators.cache.RedisCache;
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
import java.util.concurrent.CompletableFuture;

/**
 * The backfill's embedder: chunks whose content key is found in the previous snapshot reuse its
 * vector; with an embedding cache, those whose text (of their tenant, by this model) is in Redis
 * take that vector; the others of the batch go to the model in one call, and into the cache.
 * Counts the vectors taken from the cache in an accumulator that the backfill client reads.
 *
 * <p>The cache is the serving embed stage's ({@link EmbeddingCache}: model version, tenant, text):
 * a backfill of documents another backfill (for another index, or with other chunker settings
 * that cut the same pieces) or questions embedded recently skips the model for them. Unlike the
 * serving stage, a batch waits for its lookups, at most the cache's timeout: backfill is batch work,
 * and a few milliseconds per batch are nothing beside its embedding call.
 */
public final class ChunkEmbedder extends BatchFunction<Chunk, EmbeddedChunk> {

    private static final long serialVersionUID = 1L;

    /** The accumulator of chunks whose vector came from the embedding cache. */
    public static final String CHUNKS_CACHED = "sluice.backfill.cached";

    private final String embeddingModel;
    private final RuntimeOptions runtime;
    /** Model calls at once over the parts of a batch ({@link io.sluice.model.ConcurrentEmbedding}). */
    private final int calls;
    /** Directory of the snapshot to reuse vectors from, or null. */
    private final String previousSnapshot;
    /** Where vectors are cached; null or disabled: none. */
    private final EmbeddingCache.Settings cache;

    private transient EmbeddingModel model;
    private transient EmbeddingReuse reuse;
    private transient IntCounter cached;
    private transient SharedModels.Lease<RedisCache> redis;
    private transient EmbeddingCache embeddings;
    /** Cache lookups started when a chunk joined the batch. */
    private transient EmbeddingCache.Prefetches<Chunk> lookups;

    /**
     * @param calls model calls at once over the parts of a batch
     * @param cache where vectors are cached; null or disabled: every chunk not reused is embedded
     */
    public ChunkEmbedder(String embeddingModel, RuntimeOptions runtime, int calls, String previousSnapshot,
            EmbeddingCache.Settings cache) {
        this.embeddingModel = embeddingModel;
        this.runtime = runtime;
        this.calls = calls;
        this.previousSnapshot = previousSnapshot;
        this.cache = cache;
    }

    /** Hash of the model and its exact input: equal keys give equal vectors. */
    public static String contentKey(String modelQualifiedId, Chunk chunk) {
        return Hashing.sha256Hex(modelQualifiedId + "\n" + chunk.embeddingInput());
    }

    @Override
    public void open(RuntimeContext context) throws Exception {
        cached = new IntCounter();
        context.addAccumulator(CHUNKS_CACHED, cached);
        model = EmbeddingModels.shared(embeddingModel, runtime, calls);
        if (previousSnapshot != null) {
            reuse = EmbeddingReuse.open(Path.of(previousSnapshot));
        }
        if (cache != null && cache.enabled()) {
            redis = SharedModels.acquire("redis|" + cache.redisUri(), () -> new RedisCache(cache.redisUri(),
                    cache.timeout()));
            embeddings = new EmbeddingCache(redis.get(), cache.ttl());
            lookups = new EmbeddingCache.Prefetches<>(embeddings);
        }
    }

    /** Starts the chunk's cache lookup, read when its batch runs. */
    @Override
    public void added(Chunk chunk) {
        if (embeddings != null) {
            lookups.start(chunk, model.card().qualifiedId(), entry(chunk));
        }
    }

    private static EmbeddingCache.Entry entry(Chunk chunk) {
        return new EmbeddingCache.Entry(chunk.tenantId(), chunk.embeddingInput());
    }

    @Override
    public List<EmbeddedChunk> apply(List<Chunk> batch) throws Exception {
        String modelId = model.card().qualifiedId();
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
        if (embeddings != null) {
            missing = fromCache(batch, missing, vectors);
        }
        if (!missing.isEmpty()) {
            List<float[]> computed = model.embed(missing.stream().map(i -> batch.get(i).embeddingInput()).toList());
            for (int j = 0; j < missing.size(); j++) {
                vectors[missing.get(j)] = computed.get(j);
            }
            if (embeddings != null) {
                embeddings.store(modelId, missing.stream().map(i -> entry(batch.get(i))).toList(), computed);
            }
        }
        List<EmbeddedChunk> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            Chunk c = batch.get(i);
            out.add(new EmbeddedChunk(c, contentKey(modelId, c), vectors[i], wasReused[i]));
        }
        return out;
    }

    /**
     * Fills {@code vectors} of the {@code missing} chunks the cache has (waiting for the batch's
     * lookups at most the cache's timeout) and returns those still missing.
     */
    private List<Integer> fromCache(List<Chunk> batch, List<Integer> missing, float[][] vectors) throws Exception {
        List<CompletableFuture<float[]>> taken = lookups.take(batch);
        List<Integer> still = embeddings.fill(missing.stream().map(taken::get).toList(), missing,
                model.card().dimension(), vectors);
        cached.add(missing.size() - still.size());
        return still;
    }

    @Override
    public void close() throws Exception {
        if (redis != null) {
            redis.close();
        }
        if (reuse != null) {
            reuse.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
