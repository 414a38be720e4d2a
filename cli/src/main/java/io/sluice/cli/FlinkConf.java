package io.sluice.cli;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Flink configuration of CLI runs: built-in defaults for a local MiniCluster, overridden by
 * {@code config.yaml} from {@code --flink-conf} (default {@code ./flink-conf} when present), so that
 * local runs behave like the cluster the same file configures.
 */
public final class FlinkConf {

    static final Path DEFAULT_DIR = Path.of("flink-conf");

    private FlinkConf() {}

    /** The configuration of a local run; {@code dir} may be null for the default lookup. */
    public static Configuration load(Path dir) {
        Configuration conf = new Configuration();
        // Defaults matching flink-conf/config.yaml, for runs outside a checkout.
        conf.setString("state.backend.type", "rocksdb");
        conf.setString("state.changelog.enabled", "true");
        conf.setString("state.changelog.storage", "filesystem");
        conf.setString("state.changelog.dstl.dfs.base-path", "file:///tmp/sluice/changelog");
        conf.setString("execution.state-recovery.claim-mode", "CLAIM");
        conf.setString("execution.checkpointing.interval", "2 s");
        conf.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        conf.setString("execution.checkpointing.tolerable-failed-checkpoints", "10");
        conf.setString("execution.buffer-timeout.interval", "0 ms");
        conf.setString("pipeline.generic-types", "false");
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("rest.port", "0");
        Path chosen = dir != null ? dir : (Files.isRegularFile(DEFAULT_DIR.resolve("config.yaml")) ? DEFAULT_DIR : null);
        if (chosen != null) {
            if (!Files.isRegularFile(chosen.resolve("config.yaml"))) {
                throw new IllegalArgumentException("No config.yaml in " + chosen);
            }
            conf.addAll(GlobalConfiguration.loadConfiguration(chosen.toAbsolutePath().toString()));
        }
        return conf;
    }
}
