package io.sluice.model;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConcurrentEmbeddingTest {

    /** A model whose calls do what {@code call} says, on whatever thread calls it. */
    private static final class Scripted implements EmbeddingModel {
        final Function<List<String>, List<float[]>> call;
        final AtomicBoolean closed = new AtomicBoolean();

        Scripted(Function<List<String>, List<float[]>> call) {
            this.call = call;
        }

        @Override
        public ModelCard card() {
            return EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM);
        }

        @Override
        public TokenCounter tokenCounter() {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<float[]> embed(List<String> texts) {
            return call.apply(texts);
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    private static List<float[]> lengths(List<String> texts) {
        return texts.stream().map(t -> new float[] {t.length()}).toList();
    }

    private static List<String> texts(int n) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("x".repeat(i + 1));
        }
        return texts;
    }

    @Test
    void theIntEightModelGivesEveryTextOfABatchSplitAcrossCallsTheVectorItHasAlone() {
        List<String> texts = List.of("How do refunds work?", "Flink checkpoints keyed state.",
                "A much longer question about the retention of audit rows in PostgreSQL, with numbers 12345.",
                "Short.", "Ærø and other words", "What is reciprocal rank fusion?", "Why?");
        EmbeddingModel onnx = EmbeddingModels.open(EmbeddingModels.BUNDLED_MINILM_QUANTIZED, 1);
        try (ConcurrentEmbedding model = new ConcurrentEmbedding(onnx, onnx, 3)) {
            List<float[]> split = model.embed(texts);
            assertThat(split).hasSize(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                assertThat(split.get(i)).as("text %d", i).containsExactly(onnx.embed(texts.get(i)));
            }
        }
    }

    @Test
    void thePartsOfABatchRunAtOnceOnDifferentThreadsAndComeBackInOrder() {
        // Each call waits for another to reach the barrier: a batch run one part after the other
        // never gets there and times out.
        CyclicBarrier together = new CyclicBarrier(2);
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Scripted scripted = new Scripted(texts -> {
            threads.add(Thread.currentThread().getName());
            try {
                together.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("the other part of the batch did not run at the same time", e);
            }
            return lengths(texts);
        });
        try (ConcurrentEmbedding model = new ConcurrentEmbedding(scripted, scripted, 2)) {
            List<float[]> vectors = model.embed(texts(5));
            assertThat(vectors).extracting(v -> v[0]).containsExactly(1f, 2f, 3f, 4f, 5f);
            assertThat(threads).hasSize(2).contains(Thread.currentThread().getName());
        }
    }

    @Test
    void oneTextAndOneCallAtATimeStayOnTheCallersThread() {
        Set<String> threads = ConcurrentHashMap.newKeySet();
        Scripted scripted = new Scripted(texts -> {
            threads.add(Thread.currentThread().getName());
            return lengths(texts);
        });
        try (ConcurrentEmbedding single = new ConcurrentEmbedding(scripted, scripted, 1);
                ConcurrentEmbedding two = new ConcurrentEmbedding(scripted, scripted, 2)) {
            assertThat(single.embed(texts(4))).hasSize(4);
            assertThat(two.embed(texts(1))).hasSize(1);
            assertThat(two.embed(List.of())).isEmpty();
        }
        assertThat(threads).containsExactly(Thread.currentThread().getName());
    }

    @Test
    void aFailedPartFailsTheBatchOnlyAfterEveryPartHasReturned() {
        AtomicInteger running = new AtomicInteger();
        Scripted scripted = new Scripted(texts -> {
            running.incrementAndGet();
            try {
                if (texts.contains("x")) {
                    throw new IllegalArgumentException("the model failed on the first part");
                }
                // The other part is still running when the first fails.
                Thread.sleep(300);
                return lengths(texts);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            } finally {
                running.decrementAndGet();
            }
        });
        try (ConcurrentEmbedding model = new ConcurrentEmbedding(scripted, scripted, 2)) {
            assertThatThrownBy(() -> model.embed(texts(4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first part");
            assertThat(running.get()).as("calls of the failed batch still running").isZero();
        }
    }

    @Test
    void closingStopsItsThreadsAndClosesWhatItWasGiven() throws Exception {
        Scripted scripted = new Scripted(ConcurrentEmbeddingTest::lengths);
        ConcurrentEmbedding model = new ConcurrentEmbedding(scripted, scripted, 3);
        model.embed(texts(6));
        assertThat(callThreads()).hasSize(2);
        model.close();
        assertThat(scripted.closed).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!callThreads().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(callThreads()).isEmpty();
    }

    private static List<Thread> callThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().matches("sluice-embed-\\d+-call-\\d+")).toList();
    }

    @Test
    void atLeastOneCall() {
        Scripted scripted = new Scripted(ConcurrentEmbeddingTest::lengths);
        assertThatThrownBy(() -> new ConcurrentEmbedding(scripted, scripted, 0))
                .hasMessageContaining("at least 1");
    }
}
