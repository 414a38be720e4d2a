package io.sluice.jobs.backfill;

import io.sluice.jobs.config.JobArguments;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintWriter;

/**
 * The backfill as a program of the shaded job jar, for a cluster:
 * {@code flink run -p 4 -c io.sluice.jobs.backfill.BackfillJobMain sluice-jobs-<version>-job.jar
 * --sluice.backfill.documents /shared/docs --sluice.index.dir /shared/index}. Settings come from
 * {@link Backfill.Settings#from}; the client prints progress, waits for the job and then publishes
 * and promotes the snapshot, so it must reach the index directory, as every TaskManager must.
 * Run attached (no {@code --detached}): the snapshot is published after the job ends.
 */
public final class BackfillJobMain {

    private BackfillJobMain() {}

    public static void main(String[] args) throws Exception {
        var conf = JobArguments.configuration(StreamExecutionEnvironment.getExecutionEnvironment(), args);
        PrintWriter log = new PrintWriter(System.out, true);
        Backfill.Result result = new Backfill(Backfill.Settings.from(conf), log).run();
        log.printf("backfill: promoted snapshot %s%n", result.snapshotId());
    }
}
