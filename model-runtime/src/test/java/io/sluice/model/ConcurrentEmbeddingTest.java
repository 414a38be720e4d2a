package io.sluice.model;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ConcurrentEmbeddingTest {

    /** A model whose calls do what {@code call} says, on whatever thread calls it. */
    private static final class Scripted implements EmbeddingModel {
        final Function<List<String>, List<float[]>> call;
        final boolean together;
        final AtomicBoolean closed = new AtomicBoolean();

        Scripted(Function<List<String>, List<float[]>> call) {
            this(call, true);
        }

        Scripted(Function<List<String>, List<float[]>> call, boolean together) {
            this.call = call;
            this.together = together;
        }

        @Override
        public boolean embedsTextsTogether() {
            return together;
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
    void theCallsRunBelowTheCallerInTheOperatingSystemsPriority() throws Exception {
        assertThat(ModelThreads.prioritiesHonoured()).as("the tests' JVM has pom.xml's sluice.jvm.priorities").isTrue();
        Path self = Path.of("/proc/thread-self/stat");
        assumeTrue(Files.isReadable(self), "a thread's nice value is read from Linux's /proc, which this OS lacks");
        int callers = niceOf(self);
        assumeTrue(callers == 0, "the tests run at nice " + callers + ", and Java's priorities map to nice values "
                + "from 0");
        Set<Integer> nice = ConcurrentHashMap.newKeySet();
        Scripted scripted = new Scripted(texts -> {
            nice.add(niceOf(self));
            return lengths(texts);
        }, false);
        try (ConcurrentEmbedding model = new ConcurrentEmbedding(scripted, scripted, 2)) {
            model.embed(texts(4));
        }
        // Java's lowest priority is nice 4 under ThreadPriorityPolicy=1.
        assertThat(nice).containsExactly(4);
    }

    /** The nice value in {@code /proc/thread-self/stat} of the thread that reads it (field 19). */
    private static int niceOf(Path stat) {
        try {
            String line = Files.readString(stat);
            // The name, field 2, is in parentheses and may hold spaces: count from after it.
            return Integer.parseInt(line.substring(line.lastIndexOf(')') + 2).split(" ")[16]);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
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
            assertThat(threads).hasSize(2).doesNotContain(Thread.currentThread().getName());
        }
    }

    @Test
    void aModelThatRunsATextPerCallGetsEachTextAsACallOfItsOwn() {
        List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        Scripted scripted = new Scripted(texts -> {
            sizes.add(texts.size());
            return lengths(texts);
        }, false);
        try (ConcurrentEmbedding model = new ConcurrentEmbedding(scripted, scripted, 2)) {
            assertThat(model.embed(texts(5))).extracting(v -> v[0]).containsExactly(1f, 2f, 3f, 4f, 5f);
            assertThat(model.embed(List.of())).isEmpty();
        }
        assertThat(sizes).containsExactly(1, 1, 1, 1, 1);
    }

    @Test
    void theCallsOfBatchesFromTwoThreadsRunInTheOrderTheBatchesAskedForThem() throws Exception {
        // One call at a time; the first batch's first call waits until the second batch has been
        // queued, and every call of the first must still run before any of the second.
        java.util.concurrent.CountDownLatch secondQueued = new java.util.concurrent.CountDownLatch(1);
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        Scripted scripted = new Scripted(texts -> {
            if (texts.get(0).equals("a1")) {
                try {
                    secondQueued.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            order.add(texts.get(0));
            return lengths(texts);
        }, false);
        try (ConcurrentEmbedding model = new ConcurrentEmbedding(scripted, scripted, 1)) {
            Thread first = new Thread(() -> model.embed(List.of("a1", "a2", "a3")));
            first.start();
            while (order.isEmpty() && first.getState() != Thread.State.WAITING) {
                Thread.onSpinWait(); // until the first batch is queued and waits for its calls
            }
            Thread second = new Thread(() -> model.embed(List.of("b1", "b2")));
            second.start();
            while (second.getState() != Thread.State.WAITING && second.isAlive()) {
                Thread.onSpinWait();
            }
            secondQueued.countDown();
            first.join(TimeUnit.SECONDS.toMillis(30));
            second.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertThat(order).containsExactly("a1", "a2", "a3", "b1", "b2");
    }

    @Test
    void batchesFromSeveralThreadsShareTheCallsTheModelWasGiven() throws Exception {
        // Each call waits a while for a third to run beside it: with two callers and two parts each,
        // three or four calls would run at once without the shared permits.
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Scripted scripted = new Scripted(texts -> {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                while (running.get() < 3 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                return lengths(texts);
            } finally {
                running.decrementAndGet();
            }
        });
        try (ConcurrentEmbedding model = new ConcurrentEmbedding(scripted, scripted, 2)) {
            CyclicBarrier start = new CyclicBarrier(2);
            List<Thread> callers = new ArrayList<>();
            List<List<float[]>> results = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException | BrokenBarrierException e) {
                        throw new IllegalStateException(e);
                    }
                    results.add(model.embed(texts(4)));
                });
                t.start();
                callers.add(t);
            }
            for (Thread t : callers) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(results).hasSize(2).allSatisfy(v -> assertThat(v).extracting(x -> x[0])
                    .containsExactly(1f, 2f, 3f, 4f));
        }
        assertThat(most.get()).isEqualTo(2);
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
        assertThat(callThreads()).hasSize(3);
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
