package io.sluice.jobs.testing;

import org.apache.flink.configuration.Configuration;

/** MiniCluster settings the integration tests share. */
public final class TestClusters {

    private TestClusters() {}

    /** RocksDB keyed state, as the serving job runs in production. */
    public static Configuration rocksDb() {
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", "rocksdb");
        return conf;
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
