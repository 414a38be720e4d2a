package io.sluice.operators.conversation;

import io.sluice.schemas.RecentRequests.Seen;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DuplicateWindowTest {

    private static final Duration HOUR = Duration.ofHours(1);

    /** The window's entries in maps, as the conversation operator's keyed state holds them for one conversation. */
    private static final class MapStore implements DuplicateWindow.Store {
        final Map<String, Long> positions = new HashMap<>();
        final Map<Long, Seen> order = new HashMap<>();
        Long next;
        int reads;

        @Override
        public Long positionOf(String requestId) {
            reads++;
            return positions.get(requestId);
        }

        @Override
        public void putPosition(String requestId, long position) {
            positions.put(requestId, position);
        }

        @Override
        public void removePosition(String requestId) {
            positions.remove(requestId);
        }

        @Override
        public Seen at(long position) {
            reads++;
            return order.get(position);
        }

        @Override
        public void putAt(long position, Seen seen) {
            order.put(position, seen);
        }

        @Override
        public void removeAt(long position) {
            order.remove(position);
        }

        @Override
        public Long next() {
            reads++;
            return next;
        }

        @Override
        public void setNext(long next) {
            this.next = next;
        }
    }

    private final DuplicateWindow window = new DuplicateWindow(3, HOUR);
    private final MapStore store = new MapStore();

    @Test
    void keepsTheLastIdsAdmittedAndRemovesTheOnePushedOut() throws Exception {
        for (int i = 0; i < 5; i++) {
            window.remember(store, "r" + i, i * 1000L);
        }
        assertThat(window.contains(store, "r2", 4000L)).isTrue();
        assertThat(window.contains(store, "r4", 4000L)).isTrue();
        assertThat(window.contains(store, "r1", 4000L)).isFalse();
        // Stored: exactly the three it counts, however many were admitted.
        assertThat(store.positions).containsOnlyKeys("r2", "r3", "r4");
        assertThat(store.order).containsOnlyKeys(2L, 3L, 4L);
    }

    @Test
    void anIdCountsForTheWindowOfEventTimeAfterItWasReceived() throws Exception {
        window.remember(store, "r1", 1000L);
        assertThat(window.contains(store, "r1", 1000L + HOUR.toMillis())).isTrue();
        assertThat(window.contains(store, "r1", 1000L + HOUR.toMillis() + 1)).isFalse();
        // Received again past the window, it is admitted again and counts from then.
        window.remember(store, "r1", 1000L + HOUR.toMillis() + 1);
        assertThat(window.contains(store, "r1", 2000L + HOUR.toMillis())).isTrue();
        assertThat(store.positions).containsOnlyKeys("r1");
        assertThat(store.order).containsOnlyKeys(1L);
    }

    @Test
    void aForgottenIdMayBeSentAgain() throws Exception {
        window.remember(store, "r1", 1000L);
        window.remember(store, "r2", 2000L);
        window.forget(store, "r1");
        assertThat(window.contains(store, "r1", 3000L)).isFalse();
        assertThat(window.contains(store, "r2", 3000L)).isTrue();
        assertThat(store.order).containsOnlyKeys(1L);
        window.forget(store, "never-seen"); // nothing to do
        assertThat(store.positions).containsOnlyKeys("r2");
    }

    @Test
    void aRequestReadsAFewEntriesHoweverManyIdsTheWindowHolds() throws Exception {
        DuplicateWindow large = new DuplicateWindow(256, HOUR);
        for (int i = 0; i < 300; i++) {
            large.remember(store, "r" + i, i);
        }
        store.reads = 0;
        assertThat(large.contains(store, "new", 400L)).isFalse();
        assertThat(store.reads).isEqualTo(1);
        store.reads = 0;
        assertThat(large.contains(store, "r299", 400L)).isTrue();
        assertThat(store.reads).isEqualTo(3);
        assertThat(store.positions).hasSize(256);
        assertThat(store.order).hasSize(256);
    }

    @Test
    void aWindowKeptAsOneListMovesInOnceInItsOrder() throws Exception {
        List<List<Seen>> earlier = new ArrayList<>(List.of(List.of(new Seen("a", 1L), new Seen("b", 2L),
                new Seen("c", 3L), new Seen("d", 4L))));
        EntryList.Earlier<Seen> take = () -> earlier.isEmpty() ? null : earlier.remove(0);
        assertThat(window.moveIn(store, take)).isTrue();
        // The last three in the list's order are kept, as if they had been admitted in that order.
        assertThat(store.positions).containsOnlyKeys("b", "c", "d");
        assertThat(window.contains(store, "b", 10L)).isTrue();
        // Once the window has entries, an earlier value is not even looked for.
        earlier.add(List.of(new Seen("stale", 5L)));
        assertThat(window.moveIn(store, take)).isFalse();
        assertThat(earlier).hasSize(1);
        assertThat(new DuplicateWindow(3, HOUR).moveIn(new MapStore(), () -> null)).isFalse();
    }
}
