package io.sluice.operators.retrieve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IndexStoreTest {

    @TempDir
    Path dir;

    private static void snapshot(IndexStore store, String id) throws Exception {
        Path d = Files.createDirectories(store.snapshotDir(id));
        new SnapshotManifest(id, "1970-01-01T00:00:00Z", "m@1", 4, "test", 0, 0, 0, 0, List.of()).write(d);
    }

    /** A promotion in effect from {@code from}, appended as a promoter long ago would have. */
    private void promotedAt(IndexStore store, String id, long from) throws Exception {
        Files.writeString(dir.resolve("PROMOTIONS"), from + " " + id + "\n", StandardCharsets.US_ASCII,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Files.writeString(dir.resolve("LATEST"), id + "\n");
    }

    @Test
    void gcKeepsTheMostRecentlyPromotedLatestAndProtectedSnapshots() throws Exception {
        IndexStore store = new IndexStore(dir);
        for (String id : List.of("a", "b", "c", "d", "e", "never")) {
            snapshot(store, id);
        }
        promotedAt(store, "a", 1_000);
        promotedAt(store, "b", 2_000);
        promotedAt(store, "c", 3_000);
        promotedAt(store, "a", 4_000); // a rollback: a is the most recent again
        promotedAt(store, "d", 5_000);
        Files.writeString(dir.resolve("LATEST"), "b\n"); // promoted by hand, say

        IndexStore.Collected dry = store.collectGarbage(2, List.of("c"), true);
        assertThat(dry.deleted()).containsExactlyInAnyOrder("e", "never");
        assertThat(store.snapshotIds()).hasSize(6);

        IndexStore.Collected done = store.collectGarbage(2, List.of("c"), false);
        assertThat(done.kept()).containsExactly("d", "a", "c", "b");
        assertThat(done.deleted()).containsExactly("e", "never");
        assertThat(store.snapshotIds()).containsExactly("a", "b", "c", "d");
        assertThat(Files.list(dir.resolve("snapshots")).map(p -> p.getFileName().toString()))
                .as("nothing half-deleted left behind").containsExactlyInAnyOrder("a", "b", "c", "d");

        assertThat(store.collectGarbage(1, List.of(), false).deleted()).containsExactly("a", "c");
        assertThatThrownBy(() -> store.collectGarbage(0, List.of(), true)).hasMessageContaining("at least 1");
    }

    @Test
    void gcNeverDeletesAPromotionNotInEffectYet() throws Exception {
        IndexStore store = new IndexStore(dir);
        snapshot(store, "old");
        snapshot(store, "new");
        promotedAt(store, "old", 1_000);
        store.promote("new"); // in effect a lead from now
        Files.writeString(dir.resolve("LATEST"), "old\n");
        assertThat(store.collectGarbage(1, List.of(), false).deleted()).isEmpty();
    }

    @Test
    void gcDeletesShardsNoKeptSnapshotUsesOnceTheyAreAnHourOld() throws Exception {
        IndexStore store = new IndexStore(dir);
        for (String key : List.of("used", "unused-old", "unused-new")) {
            Path shard = Files.createDirectories(store.shardDir(key));
            if (!key.equals("unused-new")) {
                Files.setLastModifiedTime(shard, java.nio.file.attribute.FileTime.fromMillis(
                        System.currentTimeMillis() - IndexStore.SHARD_GRACE.toMillis() - 60_000));
            }
        }
        Files.createDirectories(store.shardBuildDir("in-progress"));
        Path kept = Files.createDirectories(store.snapshotDir("kept"));
        new SnapshotManifest("kept", "1970-01-01T00:00:00Z", "m@1", 4, "test", 0, 0, 0, 0, List.of(), List.of(),
                List.of(new SnapshotManifest.Shard("shard-000", "used", 0, 0, 0, 0, List.of(), null, List.of())))
                .write(kept);
        promotedAt(store, "kept", 1_000);

        assertThat(store.collectGarbage(1, List.of(), true).deletedShards()).containsExactly("unused-old");
        assertThat(store.shardDir("unused-old")).exists();
        assertThat(store.collectGarbage(1, List.of(), false).deletedShards()).containsExactly("unused-old");
        assertThat(Files.list(dir.resolve("shards")).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("used", "unused-new", ".building-in-progress");
    }
}
