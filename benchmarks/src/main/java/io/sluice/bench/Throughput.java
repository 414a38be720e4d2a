package io.sluice.bench;

import java.util.List;

/** Sentences per second of one contender, measured the same way for all of them. */
final class Throughput {

    private Throughput() {}

    @FunctionalInterface
    interface BatchRun {
        void run(int batchIndex) throws Exception;
    }

    /** Warms up for {@code warmupSeconds}, then cycles through the batches for {@code seconds}. */
    static double measure(int batchSize, int batches, double warmupSeconds, double seconds, BatchRun run)
            throws Exception {
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        int i = 0;
        while (System.nanoTime() < warmupEnd) {
            run.run(i++ % batches);
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long sentences = 0;
        while (System.nanoTime() < end || sentences == 0) {
            run.run(i++ % batches);
            sentences += batchSize;
        }
        return sentences / ((System.nanoTime() - start) / 1e9);
    }

    static <T> List<List<T>> batches(List<T> items, int size) {
        List<List<T>> out = new java.util.ArrayList<>();
        for (int i = 0; i + size <= items.size(); i += size) {
            out.add(items.subList(i, i + size));
        }
        return out;
    }
}
