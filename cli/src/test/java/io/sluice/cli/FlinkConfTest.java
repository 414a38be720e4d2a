package io.sluice.cli;

import io.sluice.model.ModelThreads;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The configuration of CLI runs: built-in defaults that say what flink-conf/config.yaml says. */
class FlinkConfTest {

    private static final Path CONFIG_YAML_DIR = Path.of("..", "flink-conf");

    @Test
    void theBuiltInDefaultsAgreeWithConfigYaml(@TempDir Path empty) throws Exception {
        Files.writeString(empty.resolve("config.yaml"), "");
        Map<String, String> defaults = FlinkConf.load(empty).toMap();
        Map<String, String> file = GlobalConfiguration.loadConfiguration(CONFIG_YAML_DIR.toString()).toMap();
        assertThat(defaults).containsKeys("state.changelog.enabled", "execution.state-recovery.claim-mode");
        defaults.forEach((key, value) -> {
            // Local runs bind their REST endpoint to loopback on a free port, by design.
            if (!key.startsWith("rest.")) {
                assertThat(file.get(key)).as(key).isEqualTo(value);
            }
        });
    }

    @Test
    void modelThreadsYieldWhereverAJobRuns() throws Exception {
        // A cluster's TaskManagers, the sluice script's JVM (local jobs), and the tests' JVMs.
        Map<String, String> file = GlobalConfiguration.loadConfiguration(CONFIG_YAML_DIR.toString()).toMap();
        assertThat(file.get("env.java.opts.taskmanager")).isEqualTo(ModelThreads.JVM_FLAGS);
        assertThat(Files.readString(Path.of("..", "sluice"))).contains("priorities=\"" + ModelThreads.JVM_FLAGS + "\"");
        assertThat(Files.readString(Path.of("..", "pom.xml")))
                .contains("<sluice.jvm.priorities>" + ModelThreads.JVM_FLAGS + "</sluice.jvm.priorities>");
        assertThat(ModelThreads.prioritiesHonoured()).as("this JVM has the flags").isTrue();
    }

    @Test
    void theFileOverridesTheDefaults(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("config.yaml"), "state:\n  changelog:\n    enabled: false\n");
        Configuration conf = FlinkConf.load(dir);
        assertThat(conf.toMap()).containsEntry("state.changelog.enabled", "false")
                .containsEntry("state.backend.type", "rocksdb");
        assertThatThrownBy(() -> FlinkConf.load(dir.resolve("missing"))).hasMessageContaining("No config.yaml in");
    }
}
