package io.sluice.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An embedding model whose batches run as model calls on {@code calls} threads of its own, taken in
 * the order they were asked for: a model that embeds texts together gets a batch as up to
 * {@code calls} contiguous parts, one that runs a text per call ({@link EmbeddingModel#embedsTextsTogether()}
 * false) gets each text as a call of its own. The caller waits for its batch's calls.
 *
 * <p>Why: a model that embeds one text per call runs a batch as a loop of small calls, each too
 * short for ONNX Runtime's intra-op threads to pay (they spin between operators and compete with
 * everything else on the cores), so a batch used one core. Calls over different texts on different
 * threads share nothing but the session, which is thread-safe. Batches may come from several
 * threads at once (a stage that runs more than one batch at a time): their calls share the
 * {@code calls} threads, first asked, first run, so the model never runs more calls at once than it
 * was given, and an earlier batch's calls all start before a later one's (contiguous parts of two
 * batches taking turns for the threads finished both late). A text's vector never depends on its
 * batch ({@link EmbeddingModel}), so how a batch is split changes no bit of any vector. The threads
 * are {@link ModelThreads}: the rest of the process comes first when the cores are short.
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
     * @param calls model calls at once, at least 1
     */
    public ConcurrentEmbedding(EmbeddingModel model, AutoCloseable owner, int calls) {
        this.model = model;
        this.owner = owner;
        this.calls = requireCalls(calls);
        int id = POOLS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(calls,
                task -> ModelThreads.newThread(task, "sluice-embed-" + id + "-call-" + threads.incrementAndGet()));
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
    public boolean embedsTextsTogether() {
        return model.embedsTextsTogether();
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        return inCalls(texts, model::embed);
    }

    @Override
    public List<QueryVector> embedQueriesCounted(List<String> queries) {
        return inCalls(queries, model::embedQueriesCounted);
    }

    /** {@code call} over {@code texts} as calls on this model's threads; the results in input order. */
    private <T> List<T> inCalls(List<String> texts, java.util.function.Function<List<String>, List<T>> call) {
        if (texts.isEmpty()) {
            return List.of();
        }
        int size = model.embedsTextsTogether() ? (texts.size() + calls - 1) / calls : 1;
        List<Future<List<T>>> parts = new ArrayList<>((texts.size() + size - 1) / size);
        // Queued together, so that a batch queued from another thread meanwhile comes after all of these.
        synchronized (pool) {
            for (int from = 0; from < texts.size(); from += size) {
                List<String> part = texts.subList(from, Math.min(texts.size(), from + size));
                parts.add(pool.submit(() -> call.apply(part)));
            }
        }
        List<T> results = new ArrayList<>(texts.size());
        RuntimeException failure = null;
        // Every part is waited for, also after a failure: a batch that failed is applied again question
        // by question, and no call of the failed batch may still be running then.
        boolean interrupted = false;
        for (Future<List<T>> part : parts) {
            while (true) {
                try {
                    List<T> done = part.get();
                    if (failure == null) {
                        results.addAll(done);
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
        return results;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            owner.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Closing embedding model " + model.card().qualifiedId() + " failed", e);
        }
    }
}
