package io.sluice.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An embedding model whose batches run as up to {@code calls} model calls at once, each over a
 * contiguous part of the batch: the calling thread embeds the first part and a pool of
 * {@code calls - 1} threads the others.
 *
 * <p>Why: a model that embeds one text per call ({@link OnnxEmbeddingModel#rowsIndependent()}) runs a
 * batch as a loop of small calls, each too short for ONNX Runtime's intra-op threads to pay (they
 * spin between operators and compete with everything else on the cores), so a batch used one core.
 * Calls over different texts on different threads share nothing but the session, which is
 * thread-safe. A text's vector never depends on its batch ({@link EmbeddingModel}), so how a batch is
 * split changes no bit of any vector.
 */
public final class ConcurrentEmbedding implements EmbeddingModel {

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final EmbeddingModel model;
    private final AutoCloseable owner;
    private final int calls;
    private final ExecutorService pool;

    /**
     * @param model the model whose calls run concurrently
     * @param owner what {@link #close()} closes besides the pool: the model, or the lease it was shared by
     * @param calls model calls at once, at least 1 (1: the caller makes one call per batch, as the model would)
     */
    public ConcurrentEmbedding(EmbeddingModel model, AutoCloseable owner, int calls) {
        this.model = model;
        this.owner = owner;
        this.calls = requireCalls(calls);
        int id = POOLS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.pool = calls == 1 ? null : Executors.newFixedThreadPool(calls - 1, task -> {
            Thread t = new Thread(task, "sluice-embed-" + id + "-call-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** {@code calls}, if it is a number of model calls at once (at least 1). */
    public static int requireCalls(int calls) {
        if (calls < 1) {
            throw new IllegalArgumentException("concurrent embedding calls must be at least 1, not " + calls);
        }
        return calls;
    }

    @Override
    public ModelCard card() {
        return model.card();
    }

    @Override
    public TokenCounter tokenCounter() {
        return model.tokenCounter();
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        int parts = Math.min(calls, texts.size());
        if (parts <= 1) {
            return model.embed(texts);
        }
        int size = (texts.size() + parts - 1) / parts;
        List<Future<List<float[]>>> others = new ArrayList<>(parts - 1);
        for (int from = size; from < texts.size(); from += size) {
            List<String> part = texts.subList(from, Math.min(texts.size(), from + size));
            others.add(pool.submit(() -> model.embed(part)));
        }
        List<float[]> vectors = new ArrayList<>(texts.size());
        RuntimeException failure = null;
        try {
            vectors.addAll(model.embed(texts.subList(0, size)));
        } catch (RuntimeException e) {
            failure = e;
        }
        // Every part is waited for, also after a failure: a batch that failed is applied again question
        // by question, and no call of the failed batch may still be running then.
        boolean interrupted = false;
        for (Future<List<float[]>> other : others) {
            while (true) {
                try {
                    List<float[]> part = other.get();
                    if (failure == null) {
                        vectors.addAll(part);
                    }
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r
                                : new IllegalStateException("Embedding call failed: " + e.getCause(), e.getCause());
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
        return vectors;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
        try {
            owner.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Closing embedding model " + model.card().qualifiedId() + " failed", e);
        }
    }
}
