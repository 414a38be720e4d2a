package io.sluice.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The CPU time used up to one moment: by this JVM (every thread, native ones included), by the
 * whole machine (every process, from Linux's {@code /proc/stat}; unknown elsewhere), and by this
 * JVM's JIT compilers. The difference of two is what a run cost. At a fixed request rate, the
 * machine's CPU per request says how far its cores carry the load at all: everything co-located
 * (broker, PostgreSQL, the load generator) counts, as it takes the same cores. The JIT's share says
 * whether the run measured compiled code: on two cores the compilers take the same cores for
 * minutes after a job starts. Where the benchmark runs PostgreSQL, its processes' CPU time too
 * ({@link ProcessTreeCpu}): autovacuum works in bursts that take a core's share for seconds.
 */
record CpuUse(long wallNanos, long processNanos, long machineBusyTicks, long machineTotalTicks, int machineCpus,
        long jitMillis, long machineStealTicks, long postgresTicks) {

    /** A moment whose stolen ticks and PostgreSQL's are not known. */
    CpuUse(long wallNanos, long processNanos, long machineBusyTicks, long machineTotalTicks, int machineCpus,
            long jitMillis) {
        this(wallNanos, processNanos, machineBusyTicks, machineTotalTicks, machineCpus, jitMillis, -1, -1);
    }

    private static final Path PROC_STAT = Path.of("/proc/stat");

    /**
     * What a run cost: its wall time, this JVM's CPU time, the machine's (NaN where unknown), the
     * time this JVM's JIT compilers spent compiling (NaN where not monitored), and the part of the
     * machine's CPU time the hypervisor gave to other guests (NaN where unknown), and PostgreSQL's
     * (NaN where not watched), in ms.
     */
    record Spent(double wallMillis, double processMillis, double machineMillis, double jitMillis,
            double stolenMillis, double postgresMillis) {
        Spent(double wallMillis, double processMillis, double machineMillis, double jitMillis) {
            this(wallMillis, processMillis, machineMillis, jitMillis, Double.NaN, Double.NaN);
        }

        /** How many of the machine's cores were busy on average (stolen ones included). */
        double coresBusy() {
            return machineMillis / wallMillis;
        }

        /** How many of the machine's cores were, on average, given to other guests. */
        double coresStolen() {
            return stolenMillis / wallMillis;
        }

        /** The machine's CPU time per {@code units} (requests, questions), in ms. */
        double machinePer(long units) {
            return machineMillis / units;
        }

        double processPer(long units) {
            return processMillis / units;
        }

        /** How many cores PostgreSQL's processes kept busy on average. */
        double postgresCores() {
            return postgresMillis / wallMillis;
        }

        double postgresPer(long units) {
            return postgresMillis / units;
        }

        /** The JIT's compile time as a share of the wall time (0.5: half a core compiling throughout). */
        double jitShare() {
            return jitMillis / wallMillis;
        }
    }

    static CpuUse now() {
        return now(null);
    }

    /** This moment, with the CPU time of {@code postgres}'s processes unless it is null. */
    static CpuUse now(ProcessTreeCpu postgres) {
        long pg = postgres == null ? -1 : postgres.ticks();
        long process = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        long wall = System.nanoTime();
        var compiler = ManagementFactory.getCompilationMXBean();
        long jit = compiler != null && compiler.isCompilationTimeMonitoringSupported()
                ? compiler.getTotalCompilationTime() : -1;
        try {
            List<String> lines = Files.readAllLines(PROC_STAT);
            long[] ticks = busyAndTotal(lines.get(0));
            int cpus = (int) lines.stream().filter(l -> l.matches("cpu\\d+ .*")).count();
            return new CpuUse(wall, process, ticks[0], ticks[1], cpus, jit, steal(lines.get(0)), pg);
        } catch (IOException | RuntimeException e) {
            return new CpuUse(wall, process, -1, -1, 0, jit, -1, pg); // not Linux, or no /proc: the machine's share unknown
        }
    }

    /**
     * The busy and total ticks of all CPUs from {@code /proc/stat}'s first line ({@code cpu user nice
     * system idle iowait irq softirq steal ...}): idle and iowait are not busy; steal is, as far as
     * this machine is concerned (its cores were not free for it). Guest time is already in user.
     */
    static long[] busyAndTotal(String cpuLine) {
        String[] f = cpuLine.trim().split("\\s+");
        if (!f[0].equals("cpu") || f.length < 9) {
            throw new IllegalArgumentException("not /proc/stat's total line: " + cpuLine);
        }
        long total = 0;
        for (int i = 1; i <= 8; i++) {
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        return new long[] {total - idle, total};
    }

    /** The steal ticks of {@code /proc/stat}'s total line: its eighth number. */
    static long steal(String cpuLine) {
        return Long.parseLong(cpuLine.trim().split("\\s+")[8]);
    }

    /** What has been used from this moment to {@code later}. */
    Spent until(CpuUse later) {
        double wall = (later.wallNanos - wallNanos) / 1e6;
        long total = later.machineTotalTicks - machineTotalTicks;
        // The busy share of all the machine's CPUs over the interval, times the CPU time they had in it.
        boolean ticked = machineTotalTicks >= 0 && later.machineTotalTicks >= 0 && total > 0;
        double machine = ticked ? share(later.machineBusyTicks - machineBusyTicks, total, wall) : Double.NaN;
        double stolen = ticked && machineStealTicks >= 0 && later.machineStealTicks >= 0
                ? share(later.machineStealTicks - machineStealTicks, total, wall) : Double.NaN;
        double jit = jitMillis < 0 || later.jitMillis < 0 ? Double.NaN : later.jitMillis - jitMillis;
        double postgres = postgresTicks < 0 || later.postgresTicks < 0 ? Double.NaN
                : (later.postgresTicks - postgresTicks) * ProcessTreeCpu.MILLIS_PER_TICK;
        return new Spent(wall, (later.processNanos - processNanos) / 1e6, machine, jit, stolen, postgres);
    }

    /** {@code ticks} of {@code total} as CPU time over {@code wallMillis}: their share of every CPU. */
    private double share(long ticks, long total, double wallMillis) {
        return (double) ticks / total * wallMillis * machineCpus;
    }
}
