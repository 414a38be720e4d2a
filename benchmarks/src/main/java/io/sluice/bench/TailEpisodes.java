package io.sluice.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.IntStream;

/**
 * Where a run's slowest requests came from. The requests at or above the run's p99 are grouped by
 * when they were sent into episodes (sent less than {@link #GAP_MILLIS} apart), and each episode is
 * set beside the checkpoints and GC pauses that overlap it: from its first request's sending to its
 * last answer. Whether checkpoints explain the tail is then a count against chance: how many
 * episodes of these lengths would overlap a checkpoint if they fell anywhere in the run.
 */
final class TailEpisodes {

    /** Slow requests sent closer together than this belong to one episode. */
    static final long GAP_MILLIS = 250;

    /**
     * One burst of slow requests, times in epoch ms: the checkpoints and GC pauses that overlap it,
     * and the last checkpoint that ended before it began (what completing a checkpoint sets off, the
     * audit rows' write to PostgreSQL and the transactions' commits, comes right after it), and the
     * machine's load over it (null when not sampled; its machine figures NaN where unknown).
     */
    record Episode(double firstSent, double lastAnswered, int requests, double worstMillis,
            List<CheckpointSpans.Window> checkpoints, List<GcPauses.Pause> pauses,
            Optional<CheckpointSpans.Window> previous, CpuUse.Spent load) {
        double spanMillis() {
            return lastAnswered - firstSent;
        }
    }

    /** The episodes, how many overlap a checkpoint, and how many would by chance. */
    record Summary(double thresholdMillis, int slowRequests, List<Episode> episodes, int checkpoints,
            int atCheckpoints, double expectedByChance) {
        /** The table's cell: episodes / at a checkpoint (expected by chance). */
        String cell() {
            return String.format(Locale.ROOT, "%d / %d (%.1f)", episodes.size(), atCheckpoints, expectedByChance);
        }

        /** One line per episode, times from {@code runStart}, for the log. */
        String describe(double runStart) {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                    "slowest requests (%d at or above p99 %.1f ms) in %d episodes; %d overlap one of the run's %d "
                            + "checkpoints, %.1f would by chance%n", slowRequests, thresholdMillis, episodes.size(),
                    atCheckpoints, checkpoints, expectedByChance));
            for (Episode e : episodes) {
                out.append(String.format(Locale.ROOT, "  +%.2f s: %d requests over %.0f ms, worst %.0f ms",
                        (e.firstSent() - runStart) / 1000, e.requests(), e.spanMillis(), e.worstMillis()));
                if (e.load() != null && !Double.isNaN(e.load().coresBusy())) {
                    out.append(String.format(Locale.ROOT, "; %.2f cores busy (%.2f stolen), the JIT compiling %.0f ms",
                            e.load().coresBusy(), e.load().coresStolen(), e.load().jitMillis()));
                    if (!Double.isNaN(e.load().postgresCores())) {
                        out.append(String.format(Locale.ROOT, ", PostgreSQL %.2f cores", e.load().postgresCores()));
                    }
                }
                for (CheckpointSpans.Window w : e.checkpoints()) {
                    out.append(String.format(Locale.ROOT, "; checkpoint %s from %+.0f ms for %d ms", w.id(),
                            w.startEpochMillis() - e.firstSent(), w.millis()));
                    if (w.checkpointedBytes() >= 0) {
                        out.append(String.format(Locale.ROOT, ", %.1f MB written", w.checkpointedBytes() / 1e6));
                    }
                    if (w.longestSyncMillis() >= 0) {
                        out.append(String.format(Locale.ROOT, " (synchronous parts: longest %d ms, all tasks %d ms%s)",
                                w.longestSyncMillis(), w.totalSyncMillis(),
                                w.syncMillisPerTask().isEmpty() ? "" : ": " + w.syncMillisPerTask()));
                    }
                }
                if (e.checkpoints().isEmpty()) {
                    e.previous().ifPresent(w -> out.append(String.format(Locale.ROOT, "; after checkpoint %s, which "
                            + "ended %.0f ms before", w.id(), e.firstSent() - w.endEpochMillis())));
                }
                for (GcPauses.Pause p : e.pauses()) {
                    out.append(String.format(Locale.ROOT, "; GC pause at %+.0f ms for %d ms",
                            p.startEpochMillis() - e.firstSent(), p.millis()));
                }
                out.append(System.lineSeparator());
            }
            return out.toString();
        }
    }

    private TailEpisodes() {}

    /**
     * @param sent when each request was sent (epoch ms)
     * @param latency each request's end-to-end latency (ms), NaN when it was not answered
     * @param runStart when the run's first request was sent (epoch ms)
     * @param runEnd when its last one was answered
     * @param loadOver the machine's load between two moments (epoch ms), null when unknown
     */
    static Summary of(double[] sent, double[] latency, double thresholdMillis, double runStart, double runEnd,
            List<CheckpointSpans.Window> checkpoints, List<GcPauses.Pause> pauses,
            BiFunction<Double, Double, CpuUse.Spent> loadOver) {
        Integer[] slow = IntStream.range(0, sent.length)
                .filter(i -> !Double.isNaN(latency[i]) && latency[i] >= thresholdMillis).boxed()
                .sorted(Comparator.comparingDouble(i -> sent[i])).toArray(Integer[]::new);
        List<Episode> episodes = new ArrayList<>();
        int from = 0;
        for (int k = 1; k <= slow.length; k++) {
            if (k == slow.length || sent[slow[k]] - sent[slow[k - 1]] >= GAP_MILLIS) {
                episodes.add(episode(Arrays.copyOfRange(slow, from, k), sent, latency, checkpoints, pauses,
                        loadOver));
                from = k;
            }
        }
        int atCheckpoints = (int) episodes.stream().filter(e -> !e.checkpoints().isEmpty()).count();
        double expected = episodes.stream()
                .mapToDouble(e -> chanceOfOverlap(e.spanMillis(), runStart, runEnd, checkpoints)).sum();
        return new Summary(thresholdMillis, slow.length, episodes, checkpoints.size(), atCheckpoints, expected);
    }

    private static Episode episode(Integer[] members, double[] sent, double[] latency,
            List<CheckpointSpans.Window> checkpoints, List<GcPauses.Pause> pauses,
            BiFunction<Double, Double, CpuUse.Spent> loadOver) {
        double first = sent[members[0]];
        double last = first;
        double worst = 0;
        for (int i : members) {
            last = Math.max(last, sent[i] + latency[i]);
            worst = Math.max(worst, latency[i]);
        }
        double end = last;
        return new Episode(first, end, members.length, worst,
                checkpoints.stream().filter(w -> w.endEpochMillis() >= first && w.startEpochMillis() <= end).toList(),
                pauses.stream().filter(p -> p.startEpochMillis() + p.millis() >= first && p.startEpochMillis() <= end)
                        .toList(),
                checkpoints.stream().filter(w -> w.endEpochMillis() < first)
                        .max(Comparator.comparingLong(CheckpointSpans.Window::endEpochMillis)),
                loadOver.apply(first, end));
    }

    /**
     * The chance that an interval of {@code length} ms, placed uniformly within the run, overlaps one
     * of the checkpoints: the share of its possible starts that lie in some [start - length, end].
     */
    static double chanceOfOverlap(double length, double runStart, double runEnd,
            List<CheckpointSpans.Window> checkpoints) {
        double lastStart = runEnd - length;
        if (lastStart <= runStart) {
            return checkpoints.isEmpty() ? 0 : 1;
        }
        List<double[]> hits = checkpoints.stream()
                .map(w -> new double[] {Math.max(runStart, w.startEpochMillis() - length),
                        Math.min(lastStart, w.endEpochMillis())})
                .filter(h -> h[1] > h[0]).sorted(Comparator.comparingDouble(h -> h[0])).toList();
        double covered = 0;
        double reached = runStart;
        for (double[] h : hits) {
            double from = Math.max(h[0], reached);
            if (h[1] > from) {
                covered += h[1] - from;
                reached = h[1];
            }
        }
        return covered / (lastStart - runStart);
    }
}
