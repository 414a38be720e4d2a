package io.sluice.cli;

import io.sluice.jobs.replay.Replay;
import io.sluice.jobs.replay.ReplayReport;

import org.apache.flink.configuration.Configuration;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code sluice replay}: re-derive served turns from a savepoint and compare them with the audit trail. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Restore a savepoint of the serving job, re-read chat.requests from the offsets it holds, re-run "
                + "every turn (remote models answered from the audit trail's journal, local models recomputed) and "
                + "compare each stage with the audit trail. Writes nothing to live topics or the live audit table. "
                + "Exit code 0: identical; 1: diverged or missing turns.")
final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--savepoint", required = true, description = "Savepoint directory of the serving job.")
    Path savepoint;

    @Option(names = "--conversation", description = "Replay and compare this conversation only.")
    String conversation;

    @Option(names = "--tenant", description = "Replay and compare this tenant's conversations only.")
    String tenant;

    @Option(names = "--from", description = "Compare only turns from this time on (ISO-8601); earlier turns "
            + "since the savepoint are still re-run, as they shape the state later turns see.")
    Instant from;

    @Option(names = "--to", description = "Stop before requests written at this time (ISO-8601, e.g. "
            + "2026-11-23T10:00:00Z) or at these offsets (partition:offset,...); default: where chat.requests ends now.")
    String to;

    @Option(names = "--snapshot", description = "What-if: retrieve from this index snapshot instead of the audited one.")
    String snapshot;

    @Option(names = "--fork", description = "Also write the replayed responses to this topic (never a live one).")
    String fork;

    @CommandLine.Mixin
    ServingSetup setup;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Configuration conf = setup.configuration();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instant toTime = null;
        Map<Integer, Long> toOffsets = null;
        if (to != null && to.matches("\\d+:\\d+(,\\d+:\\d+)*")) {
            toOffsets = new java.util.TreeMap<>();
            for (String part : to.split(",")) {
                String[] po = part.split(":");
                toOffsets.put(Integer.parseInt(po[0]), Long.parseLong(po[1]));
            }
        } else if (to != null) {
            toTime = Instant.parse(to);
        }
        Replay.Result result = Replay.run(conf, new Replay.Options(savepoint, conversation, tenant, from, toTime,
                toOffsets, snapshot, fork),
                new Progress(err));
        err.println();
        err.flush();
        return print(result, out);
    }

    /** A one-line progress bar on stderr: turns replayed of those expected, share and rate. */
    private static final class Progress implements java.util.function.Consumer<long[]> {
        private static final int WIDTH = 30;
        private final PrintWriter err;
        private final long started = System.nanoTime();

        Progress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void accept(long[] p) {
            long done = p[0];
            long expected = p[1];
            double seconds = Math.max(1e-3, (System.nanoTime() - started) / 1e9);
            StringBuilder line = new StringBuilder("\rreplayed " + done + (expected > 0 ? " / " + expected : "") + " turns");
            if (expected > 0) {
                int filled = (int) Math.min(WIDTH, done * WIDTH / expected);
                line.insert(1, "[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] ");
                line.append(String.format(Locale.ROOT, " (%d%%", Math.min(100, done * 100 / expected)));
            } else {
                line.append(" (");
            }
            line.append(String.format(Locale.ROOT, ", %.0f turns/s)", done / seconds));
            err.print(line);
            err.flush();
        }
    }

    static int print(Replay.Result result, PrintWriter out) {
        ReplayReport report = result.report();
        for (ReplayReport.Divergence d : report.divergences()) {
            out.printf("DIVERGED conversation %s request %s at %s: %s was %s, replay gave %s%n", d.conversationId(),
                    d.requestId(), d.stage().name().toLowerCase(Locale.ROOT), d.field(), shorten(d.audited()),
                    shorten(d.replayed()));
        }
        for (String id : report.missing()) {
            out.printf("MISSING request %s: in the audit trail, not produced by the replay%n", id);
        }
        out.printf(Locale.ROOT, "%d turns replayed: %d identical, %d diverged, %d missing%s%n", result.turns(),
                report.identical(), report.divergences().size(), report.missing().size(),
                report.notAudited() == 0 ? "" : ", " + report.notAudited() + " not in the audit trail");
        double speedup = result.speedup();
        out.printf(Locale.ROOT, "%.1f turns/s in %.1f s%s%n", result.turnsPerSecond(), result.wallTime().toMillis() / 1000.0,
                Double.isNaN(speedup) ? "" : String.format(Locale.ROOT, " (%.1fx the live rate)", speedup));
        out.flush();
        return report.identicalToTheAuditTrail() ? 0 : 1;
    }

    private static String shorten(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
