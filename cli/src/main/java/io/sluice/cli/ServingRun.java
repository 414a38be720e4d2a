package io.sluice.cli;

import io.sluice.jobs.serving.ServingJob;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A serving job running in a local MiniCluster, for {@code sluice demo} and {@code sluice serve}. */
final class ServingRun implements AutoCloseable {

    private final JobClient job;
    private final ServingJob.Settings settings;

    private ServingRun(JobClient job, ServingJob.Settings settings) {
        this.job = job;
        this.settings = settings;
    }

    static ServingRun start(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        ServingJob serving = ServingJob.fromConfiguration(conf);
        serving.build(env);
        JobClient client = env.executeAsync("sluice-serving (snapshot " + serving.settings().snapshotId() + ")");
        ServingRun run = new ServingRun(client, serving.settings());
        run.awaitRunning(Duration.ofSeconds(60));
        return run;
    }

    ServingJob.Settings settings() {
        return settings;
    }

    JobClient job() {
        return job;
    }

    private void awaitRunning(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
            if (status == JobStatus.RUNNING) {
                return;
            }
            if (status.isTerminalState()) {
                job.getJobExecutionResult().get(10, TimeUnit.SECONDS);
                throw new IllegalStateException("Serving job ended before it ran: " + status);
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("Serving job not running after " + timeout + " (status " + status + ")");
            }
            Thread.sleep(100); // polling a remote status; there is no callback for it
        }
    }

    @Override
    public void close() throws Exception {
        JobStatus status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        if (!status.isGloballyTerminalState()) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }
}
