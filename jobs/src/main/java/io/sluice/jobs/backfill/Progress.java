package io.sluice.jobs.backfill;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress of a long run on the terminal: done and total units, rate and ETA. On an interactive
 * terminal it rewrites one line; otherwise (CI logs, pipes) it prints a line every few seconds.
 */
public final class Progress {

    private final PrintWriter out;
    private final String what;
    private final String unit;
    private final long total;
    private final boolean interactive;
    private final long startNanos;
    private long lastPrintNanos;
    private long lastPrinted = -1;

    public Progress(PrintWriter out, String what, String unit, long total) {
        this.out = out;
        this.what = what;
        this.unit = unit;
        this.total = total;
        this.interactive = System.console() != null;
        this.startNanos = System.nanoTime();
        this.lastPrintNanos = startNanos;
    }

    /** Reports {@code done} units and extra detail; prints only if enough time has passed. */
    public void update(long done, String detail) {
        long now = System.nanoTime();
        long interval = interactive ? 250_000_000L : 5_000_000_000L;
        // Logs get a line only when something moved; a terminal line also refreshes rate and ETA.
        if (now - lastPrintNanos >= interval && (interactive || done != lastPrinted)) {
            lastPrintNanos = now;
            lastPrinted = done;
            print(done, detail, false);
        }
    }

    public void finish(long done, String detail) {
        print(done, detail, true);
    }

    private void print(long done, String detail, boolean last) {
        double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        double rate = done / seconds;
        String eta = last ? String.format(Locale.ROOT, "took %.1fs", seconds)
                : rate > 0 ? String.format(Locale.ROOT, "ETA %.0fs", (total - done) / rate) : "ETA ?";
        String line = String.format(Locale.ROOT, "%s: %d/%d %s, %s, %.1f %s/s, %s",
                what, done, total, unit, detail, rate, unit, eta);
        if (interactive) {
            out.print("\r" + line + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }
}
