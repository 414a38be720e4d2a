package io.sluice.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time of a process and its children so far, from Linux's {@code /proc}: for the benchmark,
 * the PostgreSQL server beside the job, whose postmaster starts a process per connection and per
 * autovacuum run. Autovacuum workers come and go; when one ends, the postmaster collects it and
 * the kernel adds its time to the postmaster's children's time, so the sum stays whole across
 * samples. Elsewhere than Linux, or once the process is gone, the time is unknown (-1).
 */
final class ProcessTreeCpu {

    /** Linux reports process times in USER_HZ, which is 100 on every architecture it exports. */
    static final double MILLIS_PER_TICK = 10;

    private final long pid;

    ProcessTreeCpu(long pid) {
        this.pid = pid;
    }

    /** The process's and its live children's CPU ticks, ended children included; -1 when unknown. */
    long ticks() {
        try {
            long total = ticksOf(pid);
            String children = Files.readString(Path.of("/proc", Long.toString(pid), "task", Long.toString(pid),
                    "children")).trim();
            if (!children.isEmpty()) {
                for (String child : children.split("\\s+")) {
                    try {
                        total += ticksOf(Long.parseLong(child));
                    } catch (IOException e) {
                        // Ended between the list and its stat: the postmaster's children's time takes it.
                    }
                }
            }
            return total;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long ticksOf(long pid) throws IOException {
        return cpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
    }

    /**
     * utime + stime + cutime + cstime of a {@code /proc/<pid>/stat} line: the 14th to 17th fields.
     * The second field is the command in parentheses and may itself hold spaces and parentheses, so
     * fields are counted from the last ')'.
     */
    static long cpuTicks(String statLine) {
        int close = statLine.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + statLine);
        }
        // After ")": state is field 3, so utime (14) is the 12th of these.
        String[] f = statLine.substring(close + 1).trim().split("\\s+");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }
}
