package io.sluice.bench;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TraceOptions;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.traces.Span;
import org.apache.flink.traces.reporter.TraceReporter;
import org.apache.flink.traces.reporter.TraceReporterFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * When each checkpoint of the serving job ran, and how long it held up each task: from the
 * "Checkpoint" spans that Flink's checkpoint statistics report to trace reporters (from the trigger
 * to the last acknowledgement), with a child span per task. The benchmark's jobs run in MiniClusters
 * in its own JVM, so the reporter Flink creates there hands its spans to this class's one list.
 */
public final class CheckpointSpans implements TraceReporter {

    /**
     * A checkpoint's span: trigger to completion (or failure), epoch ms of the JobManager's clock,
     * with the longest synchronous part of any subtask's snapshot and their sum over the tasks (ms;
     * -1 when not reported): the time the tasks' threads spent on it instead of on records. Per task,
     * the tasks whose synchronous part took a millisecond or more, longest first ("admission 12 ms,
     * ..."; tasks by their names in {@link #nameTasks}, else by their vertex ids; empty when not
     * reported). And the bytes it wrote (for incremental snapshots, the new files only; with the
     * changelog, the log's uploads too; -1 when not reported), in all and per task (summed over its
     * subtasks; tasks that report none left out), which says whose state the bytes are.
     */
    record Window(long startEpochMillis, long endEpochMillis, String id, long longestSyncMillis,
            long totalSyncMillis, String syncMillisPerTask, long checkpointedBytes, Map<String, Long> bytesPerTask) {
        Window(long startEpochMillis, long endEpochMillis, String id) {
            this(startEpochMillis, endEpochMillis, id, -1, -1, "", -1, Map.of());
        }

        Window {
            bytesPerTask = Map.copyOf(bytesPerTask);
        }

        long millis() {
            return endEpochMillis - startEpochMillis;
        }
    }

    private static final String FACTORY_KEY = "traces.reporter.sluice-bench-checkpoints.factory.class";
    /** Flink names a checkpoint span's aggregates by the aggregation ("max", "sum") and this metric. */
    private static final String SYNC = "SyncCheckpointDurationMs";
    /**
     * A task span's bytes written, summed over its subtasks (the checkpoint span names its total
     * "checkpointedSize").
     */
    private static final String TASK_BYTES = "sumCheckpointedSizeBytes";

    private static final List<Window> WINDOWS = Collections.synchronizedList(new ArrayList<>());
    private static final Map<String, String> TASK_NAMES = new ConcurrentHashMap<>();

    /** Has the job configured by {@code conf} report its checkpoints here. */
    static void reportTo(Configuration conf) {
        conf.setString(FACTORY_KEY, Factory.class.getName());
        conf.set(TraceOptions.CHECKPOINT_SPAN_DETAIL_LEVEL,
                TraceOptions.CheckpointSpanDetailLevel.CHILDREN_SPANS_PER_TASK);
    }

    /** Undoes {@link #reportTo} on a copy of a configuration, for a job whose checkpoints must not mix in. */
    static void notFrom(Configuration conf) {
        conf.removeKey(FACTORY_KEY);
    }

    /** Names the tasks of {@code env}'s job graph, for the per-task figures; call before it runs. */
    static void nameTasks(StreamExecutionEnvironment env) {
        for (var vertex : env.getStreamGraph(false).getJobGraph().getVertices()) {
            TASK_NAMES.put(vertex.getID().toString(), vertex.getName());
        }
    }

    /** The checkpoints whose span overlaps [from, to] (epoch ms), by start. */
    static List<Window> between(long fromEpochMillis, long toEpochMillis) {
        synchronized (WINDOWS) {
            return WINDOWS.stream()
                    .filter(w -> w.endEpochMillis() >= fromEpochMillis && w.startEpochMillis() <= toEpochMillis)
                    .sorted(Comparator.comparingLong(Window::startEpochMillis)).toList();
        }
    }

    /**
     * What {@code windows}' checkpoints cost, for the log: how many, the longest synchronous part of
     * each (its median and maximum over the checkpoints), the bytes each wrote (median, maximum) and
     * each task's median share of them, largest first (tasks with a median under 1 kB left out).
     * Checkpoints that did not report a figure are left out of it.
     */
    static String summarize(List<Window> windows) {
        long[] sync = windows.stream().mapToLong(Window::longestSyncMillis).filter(v -> v >= 0).sorted().toArray();
        long[] bytes = windows.stream().mapToLong(Window::checkpointedBytes).filter(v -> v >= 0).sorted().toArray();
        StringBuilder out = new StringBuilder(windows.size() + (windows.size() == 1 ? " checkpoint" : " checkpoints"));
        if (sync.length > 0) {
            out.append(String.format(Locale.ROOT, "; longest synchronous part median %d ms, max %d ms",
                    median(sync), sync[sync.length - 1]));
        }
        if (bytes.length > 0) {
            out.append(String.format(Locale.ROOT, "; written median %.0f kB, max %.0f kB",
                    median(bytes) / 1e3, bytes[bytes.length - 1] / 1e3));
        }
        String tasks = windows.stream().flatMap(w -> w.bytesPerTask().keySet().stream()).distinct()
                .map(task -> Map.entry(task, median(windows.stream().map(w -> w.bytesPerTask().get(task))
                        .filter(v -> v != null).mapToLong(Long::longValue).sorted().toArray())))
                .filter(e -> e.getValue() >= 1_000)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .map(e -> String.format(Locale.ROOT, "%s %.0f kB", e.getKey(), e.getValue() / 1e3))
                .collect(Collectors.joining(", "));
        if (!tasks.isEmpty()) {
            out.append("; written per task, median: ").append(tasks);
        }
        return out.toString();
    }

    @Override
    public void notifyOfAddedSpan(Span span) {
        if ("Checkpoint".equals(span.getName())) {
            Map<String, Object> attributes = span.getAttributes();
            WINDOWS.add(new Window(span.getStartTsMillis(), span.getEndTsMillis(),
                    String.valueOf(attributes.get("checkpointId")), number(attributes, "max" + SYNC),
                    number(attributes, "sum" + SYNC), perTask(span.getChildren()),
                    number(attributes, "checkpointedSize"), bytesPerTask(span.getChildren())));
        }
    }

    private static String perTask(List<Span> tasks) {
        return tasks.stream().filter(t -> number(t.getAttributes(), "max" + SYNC) > 0)
                .sorted(Comparator.comparingLong((Span t) -> -number(t.getAttributes(), "max" + SYNC)))
                .map(t -> taskName(t) + " " + number(t.getAttributes(), "max" + SYNC) + " ms")
                .collect(Collectors.joining(", "));
    }

    private static Map<String, Long> bytesPerTask(List<Span> tasks) {
        Map<String, Long> bytes = new java.util.HashMap<>();
        for (Span t : tasks) {
            long written = number(t.getAttributes(), TASK_BYTES);
            if (written >= 0) {
                bytes.merge(taskName(t), written, Long::sum);
            }
        }
        return bytes;
    }

    /** A task span's task, by its name in {@link #nameTasks}, else by its vertex id. */
    private static String taskName(Span task) {
        String id = String.valueOf(task.getAttributes().get("jobVertexId"));
        return TASK_NAMES.getOrDefault(id, id);
    }

    /** The median of sorted, non-empty {@code values} (the lower one of an even count). */
    private static long median(long[] values) {
        return values[(values.length - 1) / 2];
    }

    private static long number(Map<String, Object> attributes, String name) {
        return attributes.get(name) instanceof Number n ? n.longValue() : -1;
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    /** Found by Flink through {@code META-INF/services}, named in the configuration by {@link #reportTo}. */
    public static final class Factory implements TraceReporterFactory {
        @Override
        public TraceReporter createTraceReporter(Properties properties) {
            return new CheckpointSpans();
        }
    }
}
