package io.sluice.jobs.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.jobs.testing.Await;
import io.sluice.model.TinyEncoder;
import io.sluice.operators.retrieve.IndexStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The backfill at corpus scale: 200,000 generated documents embedded by a tiny random encoder (so
 * the figures are Sluice's, not a model's), each run in its own JVM with a small heap that holds
 * the client and the TaskManager. Parallelism 1 and 2 must give the same snapshot; a backfill
 * killed after its first shard resumes from what it finished. Throughput is printed, not asserted.
 */
class BackfillScaleITCase {

    static final int DOCUMENTS = Integer.getInteger("sluice.scale.documents", 200_000);
    static final int SHARDS = 4;
    /** Small beside the corpus as JSON, let alone as Java strings. */
    static final String HEAP = "-Xmx" + Integer.getInteger("sluice.scale.heap-mb", 256) + "m";
    static final Pattern RESULT = Pattern.compile("RESULT (.*)");

    @TempDir
    Path work;

    /** Backfill JVMs this test has started, which numbers their logs. */
    private int backfills;

    @Test
    void twoHundredThousandDocumentsInBoundedMemoryScalingAndResuming() throws Exception {
        long seed = Long.getLong("sluice.scale.seed", 20261203L);
        long bytes = ScaleCorpus.write(work.resolve("docs"), DOCUMENTS, 8, 90, seed);
        Path model = TinyEncoder.write(work.resolve("tiny-encoder"));
        System.out.printf("scale corpus: %d documents, %d MB of JSON, seed %d; heap %s per backfill JVM%n", DOCUMENTS,
                bytes >> 20, seed, HEAP);

        Map<String, String> one = run(work.resolve("index-p1"), model, 1);
        Map<String, String> two = run(work.resolve("index-p2"), model, 2);
        assertThat(one.get("documents")).isEqualTo(Integer.toString(DOCUMENTS));
        assertThat(two.get("snapshot")).as("the same snapshot whatever the parallelism").isEqualTo(one.get("snapshot"));
        double t1 = Double.parseDouble(one.get("seconds")), t2 = Double.parseDouble(two.get("seconds"));
        System.out.printf("scale: parallelism 1: %.1f s (%.0f documents/s), peak heap %s MB; parallelism 2: %.1f s "
                + "(%.0f documents/s), peak heap %s MB; speed-up %.2fx on %d cores%n", t1, DOCUMENTS / t1,
                one.get("peakHeapMb"), t2, DOCUMENTS / t2, two.get("peakHeapMb"), t1 / t2,
                Runtime.getRuntime().availableProcessors());

        // Killed once its first shard is in the store: the next run builds only the others.
        Path index = work.resolve("index-killed");
        Process killed = start(index, model, 2).process();
        IndexStore store = new IndexStore(index);
        try {
            Await.until("a first finished shard", Duration.ofMinutes(5), () -> finishedShards(store) >= 1
                    || !killed.isAlive());
            assertThat(killed.isAlive()).as("still running when its first shard is finished").isTrue();
        } finally {
            killed.destroyForcibly().waitFor();
        }
        int finished = finishedShards(store);
        Map<String, String> resumed = run(index, model, 2);
        assertThat(resumed.get("snapshot")).isEqualTo(one.get("snapshot"));
        assertThat(Integer.parseInt(resumed.get("built"))).isLessThanOrEqualTo(SHARDS - finished);
        System.out.printf("scale: killed after %d of %d shards; the resumed run built %s and took %s s%n", finished,
                SHARDS, resumed.get("built"), resumed.get("seconds"));
    }

    private static int finishedShards(IndexStore store) throws IOException {
        Path dir = store.root().resolve("shards");
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var entries = Files.list(dir)) {
            // Published shards only: a shard being written has a dot name, even with its shard.json.
            return (int) entries.filter(p -> !p.getFileName().toString().startsWith(".")
                    && Files.isRegularFile(p.resolve("shard.json"))).count();
        }
    }

    /** A backfill JVM and the file its output goes to. */
    private record Backfill(Process process, Path log) {}

    private Backfill start(Path index, Path model, int parallelism) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                HEAP, "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true"));
        // Extra JVM options, to profile a run say (-Dsluice.scale.jvm-args="-XX:StartFlightRecording=...").
        String extra = System.getProperty("sluice.scale.jvm-args", "").strip();
        if (!extra.isEmpty()) {
            command.addAll(List.of(extra.split("\\s+")));
        }
        // The module opens Flink needs, as this JVM got them.
        java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens")).forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ScaleBackfillMain.class.getName(),
                work.resolve("docs").toString(), index.toString(), model.toString(), Integer.toString(parallelism),
                Integer.toString(SHARDS)));
        // Numbered in start order: the killed run and the one that resumes it write to different files.
        Path log = work.resolve("backfill-" + ++backfills + "-" + index.getFileName() + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Backfill(process, log);
    }

    private Map<String, String> run(Path index, Path model, int parallelism) throws Exception {
        // This run's own log, not the newest-looking one: picking the killed run's log by name once
        // made a resumed run that had succeeded look as if it printed no RESULT.
        Backfill backfill = start(index, model, parallelism);
        int exit = backfill.process().waitFor();
        String text = Files.readString(backfill.log());
        text.lines().filter(l -> l.startsWith("backfill:") || l.startsWith("RESULT")).forEach(System.out::println);
        Matcher m = RESULT.matcher(text);
        assertThat(exit).as("exit code; log:%n%s", tail(text)).isZero();
        assertThat(m.find()).as("a RESULT line; log:%n%s", tail(text)).isTrue();
        Map<String, String> fields = new HashMap<>();
        for (String kv : m.group(1).trim().split(" ")) {
            fields.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return fields;
    }

    private static String tail(String text) {
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }
}
