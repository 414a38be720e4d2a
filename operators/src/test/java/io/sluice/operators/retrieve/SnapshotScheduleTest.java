package io.sluice.operators.retrieve;

import io.sluice.schemas.Chunk;
import io.sluice.schemas.EmbeddedChunk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The promotion log and the per-turn choice of snapshot made from it, live and in replay. */
class SnapshotScheduleTest {

    private static final String MODEL = "acme/encoder@1";

    @TempDir
    Path dir;

    /** A searchable snapshot of one chunk saying {@code text}, embedded (as far as its manifest says) by {@code model}. */
    private String snapshot(IndexStore store, String id, String model, String text) throws Exception {
        Chunk chunk = new Chunk("doc#0", "acme", "doc", "Doc", 0, 1, text, 0);
        SnapshotWriter.write(store, new SnapshotManifest(id, "1970-01-01T00:00:00Z", model, 4, "test", 1, 1, 1, 0,
                List.of("acme")), List.of(new EmbeddedChunk(chunk, "key-" + id, new float[] {1, 0, 0, 0}, false)));
        return id;
    }

    private long lastEffectiveFrom(IndexStore store) throws Exception {
        List<IndexStore.Promotion> log = store.promotions();
        return log.get(log.size() - 1).effectiveFrom();
    }

    @Test
    void aPromotionTakesEffectALeadAfterItIsLoggedForLiveAndReplayedTurnsAlike() throws Exception {
        IndexStore store = new IndexStore(dir);
        store.promote(snapshot(store, "s1", MODEL, "blue"));
        AtomicLong clock = new AtomicLong(System.currentTimeMillis());
        SnapshotSchedule live = new SnapshotSchedule(store, MODEL, clock::get);
        long now = clock.get();
        assertThat(live.snapshotFor(now)).isEqualTo("s1");

        long before = System.currentTimeMillis();
        store.promote(snapshot(store, "s2", MODEL, "green"));
        long from = lastEffectiveFrom(store);
        assertThat(from).isBetween(before + IndexStore.PROMOTION_LEAD.toMillis(),
                System.currentTimeMillis() + IndexStore.PROMOTION_LEAD.toMillis());
        assertThat(store.latest()).contains("s2");

        // Turns the live schedule answers without reading the log again: the old snapshot, as a replay
        // that reads the whole log says too.
        assertThat(live.snapshotFor(now + 500)).isEqualTo("s1");
        SnapshotSchedule replay = new SnapshotSchedule(store, MODEL, () -> Long.MAX_VALUE);
        assertThat(replay.snapshotFor(now + 500)).isEqualTo("s1");
        // From the promotion's time on, the new one; a late turn from before it still gets the old one.
        clock.set(System.currentTimeMillis());
        assertThat(live.snapshotFor(from)).isEqualTo("s2");
        assertThat(live.snapshotFor(from - 1)).isEqualTo("s1");
        assertThat(replay.snapshotFor(from)).isEqualTo("s2");
        assertThat(replay.snapshotFor(from - 1)).isEqualTo("s1");
        // Older than every promotion: the first.
        assertThat(replay.snapshotFor(0)).isEqualTo("s1");
    }

    @Test
    void theLogIsReadAgainOnlyForTurnsAPromotionNotYetReadCouldReach() throws Exception {
        IndexStore store = new IndexStore(dir);
        store.promote(snapshot(store, "s1", MODEL, "blue"));
        AtomicLong clock = new AtomicLong(1_000_000);
        SnapshotSchedule live = new SnapshotSchedule(store, MODEL, clock::get);
        assertThat(live.snapshotFor(1_000_000)).isEqualTo("s1");
        // A promotion logged now with a past time (as only a broken promoter would): the schedule does
        // not read the log for turns within the lead of its last read...
        Files.writeString(dir.resolve("PROMOTIONS"), "1000500 " + snapshot(store, "s2", MODEL, "green") + "\n",
                StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
        assertThat(live.snapshotFor(1_000_600)).isEqualTo("s1");
        // ...and does for the first turn past it.
        long reach = IndexStore.PROMOTION_LEAD.toMillis() - 1_000;
        assertThat(live.snapshotFor(1_000_000 + reach)).isEqualTo("s2");
    }

    @Test
    void promotionsOfSnapshotsEmbeddedWithAnotherModelAreRefused() throws Exception {
        IndexStore store = new IndexStore(dir);
        store.promote(snapshot(store, "s1", MODEL, "blue"));
        store.promote(snapshot(store, "other", "acme/encoder@2", "red"));
        SnapshotSchedule schedule = new SnapshotSchedule(store, MODEL, System::currentTimeMillis);
        assertThat(schedule.snapshotFor(lastEffectiveFrom(store) + 1)).isEqualTo("s1");
        assertThat(schedule.refusedCount()).isEqualTo(1);
        SnapshotSchedule none = new SnapshotSchedule(store, "acme/encoder@3", System::currentTimeMillis);
        assertThatThrownBy(() -> none.snapshotFor(0)).hasMessageContaining("No promoted snapshot embedded with acme/encoder@3");
    }

    @Test
    void aStoreFromBeforeTheLogServedItsLatestFromTheStart() throws Exception {
        IndexStore store = new IndexStore(dir);
        snapshot(store, "old", MODEL, "blue");
        Files.writeString(dir.resolve("LATEST"), "old\n");
        assertThat(store.promotions()).containsExactly(new IndexStore.Promotion("old", 0));
        store.promote(snapshot(store, "new", MODEL, "green"));
        assertThat(store.promotions()).hasSize(2).first().isEqualTo(new IndexStore.Promotion("old", 0));
        // A line cut short by a crash mid-append is no promotion.
        Files.writeString(dir.resolve("PROMOTIONS"), "17", StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
        assertThat(store.promotions()).extracting(IndexStore.Promotion::snapshotId).containsExactly("old", "new");
    }

    @Test
    void searchersFollowTheScheduleAndKeepTwoSnapshotsOpen() throws Exception {
        IndexStore store = new IndexStore(dir);
        store.promote(snapshot(store, "s1", MODEL, "blue"));
        long first = lastEffectiveFrom(store);
        store.promote(snapshot(store, "s2", MODEL, "green"));
        long second = lastEffectiveFrom(store);
        store.promote(snapshot(store, "s3", MODEL, "red"));
        long third = lastEffectiveFrom(store);
        try (SnapshotSearchers searchers = SnapshotSearchers.following(store,
                new SnapshotSchedule(store, MODEL, () -> Long.MAX_VALUE), SearchSettings.DEFAULT)) {
            assertThat(text(searchers.forEventTime(first))).isEqualTo("blue");
            assertThat(text(searchers.forEventTime(second))).isEqualTo("green");
            assertThat(text(searchers.forEventTime(third))).isEqualTo("red");
            assertThat(searchers.openIds()).containsExactlyInAnyOrder("s2", "s3");
            // A late turn reopens what was closed.
            assertThat(text(searchers.forEventTime(first))).isEqualTo("blue");
            assertThat(searchers.openedCount()).isEqualTo(4);
            // A late turn whose snapshot was collected since: the turn's failure, said plainly.
            try (var files = Files.walk(store.snapshotDir("s2"))) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
            assertThatThrownBy(() -> searchers.forEventTime(second)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Index snapshot s2, in force at this turn's event time, is no longer in");
            assertThat(io.sluice.operators.failure.RecordFailures.isEnvironmental(
                    catchThrowable(() -> searchers.forEventTime(second)))).isFalse();
        }
        try (SnapshotSearchers pinned = SnapshotSearchers.pinned(store, "s3", SearchSettings.DEFAULT)) {
            assertThat(text(pinned.forEventTime(first))).isEqualTo("red");
        }
    }

    private static String text(HybridSearcher searcher) {
        return searcher.search(SearchMode.VECTOR, "acme", "colour", new float[] {1, 0, 0, 0}, 1, 1).get(0).text();
    }
}
