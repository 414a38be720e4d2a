package io.sluice.jobs.backfill;

import io.sluice.jobs.config.BackfillOptions;
import io.sluice.jobs.config.JobArguments;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.io.PrintWriter;

/**
 * Live ingestion as a program of the shaded job jar, for a cluster:
 * {@code flink run --detached -p 4 -c io.sluice.jobs.backfill.IngestJobMain sluice-jobs-<version>-job.jar
 * --sluice.backfill.documents /shared/docs --sluice.index.dir /shared/index}. Settings as for
 * {@link BackfillJobMain}, plus {@link BackfillOptions#INGEST_INTERVAL} and
 * {@link BackfillOptions#INGEST_NAME}; {@code flink run -s <savepoint>} carries on from a savepoint.
 * The job promotes its snapshots itself, so the client only submits it.
 */
public final class IngestJobMain {

    private IngestJobMain() {}

    public static void main(String[] args) throws Exception {
        var conf = JobArguments.configuration(StreamExecutionEnvironment.getExecutionEnvironment(), args);
        new LiveIngestion(Backfill.Settings.from(conf), conf.get(BackfillOptions.INGEST_INTERVAL),
                conf.get(BackfillOptions.INGEST_NAME), new PrintWriter(System.out, true)).start();
    }
}
