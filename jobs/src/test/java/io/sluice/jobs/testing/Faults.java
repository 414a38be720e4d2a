package io.sluice.jobs.testing;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What fault tests do to the world, and what they read back from the job. */
public final class Faults {

    private Faults() {}

    /** Sends {@code signal} (STOP, CONT, KILL, ...) to every process in {@code processes}. */
    public static void signal(String signal, List<ProcessHandle> processes) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        processes.forEach(p -> command.add(Long.toString(p.pid())));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " failed for " + command.subList(2, command.size()));
        }
    }

    /** Checkpoints of {@code job} that completed so far. */
    public static long completedCheckpoints(MiniCluster cluster, JobClient job) throws Exception {
        var stats = cluster.getExecutionGraph(job.getJobID()).get().getCheckpointStatsSnapshot();
        return stats == null ? 0 : stats.getCounts().getNumberOfCompletedCheckpoints();
    }

    /** Whether {@code job} ever restarted. */
    public static boolean restarted(MiniCluster cluster, JobClient job) throws Exception {
        return cluster.getExecutionGraph(job.getJobID()).get()
                .getStatusTimestamp(org.apache.flink.api.common.JobStatus.RESTARTING) > 0;
    }
}
