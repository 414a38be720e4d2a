package io.sluice.operators.index;

import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.sluice.operators.index.LivePromotion.Status.NO_DOCUMENTS;
import static io.sluice.operators.index.LivePromotion.Status.PROMOTED;
import static io.sluice.operators.index.LivePromotion.Status.SHARDS_MISSING;
import static io.sluice.operators.index.LivePromotion.Status.UNCHANGED;
import static io.sluice.operators.index.LivePromotion.Status.WAITING_FOR_TASKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LivePromotionTest {

    private static final LivePromotion.Settings SETTINGS = new LivePromotion.Settings(2, 2, "m@1", 4, "chunker");

    @TempDir
    Path dir;

    private static SnapshotManifest.Shard shard(int index, String key, int documents) {
        return new SnapshotManifest.Shard(SnapshotManifest.shardName(index), key, documents, documents, documents, 0,
                List.of("acme"), null, List.of());
    }

    @Test
    void promotesOnceEveryTaskHasCutAndEveryShardIsBuilt() throws Exception {
        IndexStore store = new IndexStore(dir);
        LivePromotion promotion = new LivePromotion(SETTINGS, store, List.of());
        promotion.built(shard(0, "a0", 2));
        assertThat(promotion.cut(5, 0).status()).isEqualTo(WAITING_FOR_TASKS);
        assertThat(promotion.cut(5, 1).status()).isEqualTo(SHARDS_MISSING);
        assertThat(store.latest()).isEmpty();

        promotion.built(shard(1, "b0", 1));
        assertThat(promotion.cut(6, 1).status()).isEqualTo(WAITING_FOR_TASKS);
        LivePromotion.Cut first = promotion.cut(6, 0);
        assertThat(first.status()).isEqualTo(PROMOTED);
        assertThat(store.latest()).contains(first.snapshotId());
        assertThat(SnapshotManifest.read(store.snapshotDir(first.snapshotId())).shards())
                .extracting(SnapshotManifest.Shard::key).containsExactly("a0", "b0");

        promotion.cut(7, 0);
        assertThat(promotion.cut(7, 1)).isEqualTo(new LivePromotion.Cut(UNCHANGED, first.snapshotId()));

        // A task that cut checkpoint 8 alone is overtaken by checkpoint 9, which both cut.
        promotion.built(shard(1, "b1", 3));
        assertThat(promotion.cut(8, 0).status()).isEqualTo(WAITING_FOR_TASKS);
        promotion.cut(9, 0);
        LivePromotion.Cut second = promotion.cut(9, 1);
        assertThat(second.status()).isEqualTo(PROMOTED);
        assertThat(second.snapshotId()).isNotEqualTo(first.snapshotId());
        assertThat(store.latest()).contains(second.snapshotId());
    }

    @Test
    void aCorpusWithNothingLeftDoesNotHideTheLastSnapshot() throws Exception {
        IndexStore store = new IndexStore(dir);
        LivePromotion promotion = new LivePromotion(SETTINGS, store, List.of(shard(0, "a0", 1), shard(1, "b0", 1)));
        promotion.cut(1, 0);
        String promoted = promotion.cut(1, 1).snapshotId();
        promotion.built(shard(0, "a1", 0));
        promotion.built(shard(1, "b1", 0));
        promotion.cut(2, 0);
        assertThat(promotion.cut(2, 1).status()).isEqualTo(NO_DOCUMENTS);
        assertThat(store.latest()).contains(promoted);
    }

    @Test
    void aRestoredPromotionCarriesOnFromItsShards() throws Exception {
        IndexStore store = new IndexStore(dir);
        LivePromotion promotion = new LivePromotion(SETTINGS, store, List.of());
        promotion.built(shard(1, "b0", 1));
        promotion.built(shard(0, "a0", 2));
        promotion.cut(3, 0);
        String promoted = promotion.cut(3, 1).snapshotId();
        assertThat(promotion.shards()).extracting(SnapshotManifest.Shard::name).containsExactly("shard-000", "shard-001");

        LivePromotion restored = new LivePromotion(SETTINGS, store, promotion.shards());
        restored.cut(4, 1);
        assertThat(restored.cut(4, 0)).isEqualTo(new LivePromotion.Cut(UNCHANGED, promoted));
    }

    @Test
    void shardNamesAndIndexesAreInverse() {
        assertThat(SnapshotManifest.shardIndex(SnapshotManifest.shardName(12))).isEqualTo(12);
        assertThat(SnapshotManifest.shardIndex("shard-1024")).isEqualTo(1024);
        assertThatThrownBy(() -> SnapshotManifest.shardIndex("shard-x")).hasMessageContaining("Not a shard name");
    }
}
