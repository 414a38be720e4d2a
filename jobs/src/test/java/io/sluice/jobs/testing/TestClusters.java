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
}
