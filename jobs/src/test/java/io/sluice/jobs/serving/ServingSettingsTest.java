package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.model.EmbeddingModels;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the serving job checks before it starts. */
class ServingSettingsTest {

    private static Configuration conf(Path index) {
        Configuration conf = new Configuration();
        conf.set(ServingOptions.INDEX_DIR, index.toString());
        return conf;
    }

    private static void snapshot(Path index, String id, String model) throws Exception {
        Path dir = Files.createDirectories(new IndexStore(index).snapshotDir(id));
        new SnapshotManifest(id, "1970-01-01T00:00:00Z", model, 384, "test", 0, 0, 0, 0, List.of()).write(dir);
        new IndexStore(index).promote(id);
    }

    @Test
    void pinsThePromotedSnapshotOrTheNamedOne(@TempDir Path index) throws Exception {
        String minilm = EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM).qualifiedId();
        snapshot(index, "old", minilm);
        snapshot(index, "new", minilm);
        assertThat(ServingJob.Settings.from(conf(index)).snapshotId()).isEqualTo("new");
        Configuration pinned = conf(index);
        pinned.set(ServingOptions.SNAPSHOT, "old");
        assertThat(ServingJob.Settings.from(pinned).snapshotId()).isEqualTo("old");
        pinned.set(ServingOptions.SNAPSHOT, "missing");
        assertThatThrownBy(() -> ServingJob.Settings.from(pinned)).hasMessageContaining("missing not found");
    }

    @Test
    void refusesASnapshotEmbeddedWithAnotherModel(@TempDir Path index) throws Exception {
        snapshot(index, "s1", EmbeddingModels.card(EmbeddingModels.BUNDLED_MINILM_QUANTIZED).qualifiedId());
        assertThatThrownBy(() -> ServingJob.Settings.from(conf(index)))
                .hasMessageContaining("was embedded with sentence-transformers/all-MiniLM-L6-v2@onnx-int8-1")
                .hasMessageContaining("backfill again");
        Configuration q = conf(index);
        q.set(ServingOptions.EMBEDDING_MODEL, EmbeddingModels.BUNDLED_MINILM_QUANTIZED);
        assertThat(ServingJob.Settings.from(q).snapshotId()).isEqualTo("s1");
    }

    @Test
    void needsAnIndexDirectory() {
        assertThatThrownBy(() -> ServingJob.Settings.from(new Configuration())).hasMessageContaining("sluice.index.dir");
    }
}
