package io.sluice.jobs.serving;

import io.sluice.jobs.config.JobArguments;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Entry point of the shaded job jar: {@code flink run sluice-jobs-<version>-job.jar --sluice.index.dir
 * /data/index --sluice.audit.jdbc-url jdbc:postgresql://...}. Settings come from the cluster's
 * config.yaml, overridden by {@code --key value} arguments ({@link JobArguments}).
 */
public final class ServingJobMain {

    private ServingJobMain() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Configuration conf = JobArguments.configuration(env, args);
        ServingJob job = ServingJob.fromConfiguration(conf);
        job.build(env);
        env.execute("sluice-serving (snapshot " + job.settings().snapshotId() + ")");
    }
}
