package io.sluice.jobs.backfill;

import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;

/**
 * One backfill in its own JVM, as the scale test runs it (with a small heap, holding the client and
 * a local MiniCluster's TaskManager): args are documents, index, model directory, parallelism,
 * shards. Prints the backfill's log, then one {@code RESULT} line.
 */
public final class ScaleBackfillMain {

    private ScaleBackfillMain() {}

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        PrintWriter log = new PrintWriter(System.out, true);
        Backfill.Result result = new Backfill(new Backfill.Settings(Path.of(args[0]), Path.of(args[1]), "default",
                new ChunkerSettings(120, 0), args[2], 64, RuntimeOptions.cpu(1), Integer.parseInt(args[3]))
                .withShards(Integer.parseInt(args[4])), log).run();
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf("RESULT snapshot=%s documents=%d chunks=%d built=%d seconds=%.1f peakHeapMb=%d maxHeapMb=%d%n",
                result.snapshotId(), result.manifest().documents(), result.manifest().chunks(), result.builtShards(),
                seconds, peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
        System.exit(0);
    }
}
