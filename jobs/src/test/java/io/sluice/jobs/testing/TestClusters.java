package io.sluice.jobs.testing;

import io.sluice.jobs.serving.ServingJob;

import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** MiniCluster settings the integration tests share. */
public final class TestClusters {

    private TestClusters() {}

    /** Where the test clusters' changelog goes: a job's files are under {@code <job id>/dstl}. */
    public static final Path CHANGELOG = Path.of(System.getProperty("java.io.tmpdir"), "sluice-test-changelog");

    /**
     * RocksDB keyed state behind the changelog state backend, as the serving job runs in production
     * (flink-conf/config.yaml), so that recovery and replay are tested on what ships.
     */
    public static Configuration rocksDb() {
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", "rocksdb");
        conf.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, true);
        conf.set(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE, "filesystem");
        conf.set(FsStateChangelogOptions.BASE_PATH, CHANGELOG.toUri().toString());
        return conf;
    }

    /**
     * The files of job {@code jobId}'s changelog under the base path {@code base}; none while it has
     * written nothing (its directory appears with its first upload).
     */
    public static List<Path> changelogFiles(Path base, String jobId) throws IOException {
        try (Stream<Path> files = Files.list(base.resolve(jobId).resolve("dstl"))) {
            return files.toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /** A MiniCluster of one TaskManager with two slots and RocksDB, for {@code @RegisterExtension}. */
    public static MiniClusterExtension oneTaskManager() {
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
                .setNumberTaskManagers(1)
                .setNumberSlotsPerTaskManager(2)
                .setConfiguration(rocksDb())
                .build());
    }

    /**
     * Submits the serving job of {@code conf} to the test's MiniCluster: parallelism 2, a checkpoint
     * every 500 ms, so that savepoints and the audit trail move quickly.
     */
    public static JobClient serve(Configuration conf, String name) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        env.enableCheckpointing(500);
        env.setParallelism(2);
        ServingJob.fromConfiguration(conf).build(env);
        return env.executeAsync(name);
    }

    /**
     * RocksDB, and up to {@code attempts} restarts {@code delay} apart: a test that forbids restarts
     * sees one counted instead of the job failing at once, one that causes them sees it recover.
     */
    public static Configuration restarting(int attempts, String delay) {
        Configuration conf = rocksDb();
        conf.setString("restart-strategy.type", "fixed-delay");
        conf.setString("restart-strategy.fixed-delay.attempts", Integer.toString(attempts));
        conf.setString("restart-strategy.fixed-delay.delay", delay);
        return conf;
    }
}
