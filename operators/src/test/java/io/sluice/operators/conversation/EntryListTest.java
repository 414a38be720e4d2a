package io.sluice.operators.conversation;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class EntryListTest {

    /** Entries in a hash map (which iterates in no particular order, as the heap state backend), counting writes. */
    private static class CountingEntries implements EntryList.Entries<String> {
        final Map<Long, String> map = new HashMap<>();
        int puts;
        int removes;

        @Override
        public Iterable<Map.Entry<Long, String>> entries() {
            return map.entrySet();
        }

        @Override
        public void put(long position, String item) {
            puts++;
            map.put(position, item);
        }

        @Override
        public void remove(long position) {
            removes++;
            map.remove(position);
        }

        List<String> items() throws Exception {
            return EntryList.read(this).items();
        }
    }

    /** The list after appending {@code item} to {@code list} and keeping the newest {@code max}, as a history does. */
    private static List<String> append(List<String> list, String item, int max) {
        List<String> next = new ArrayList<>(list);
        next.add(item);
        return next.subList(Math.max(0, next.size() - max), next.size());
    }

    @Test
    void appendingToAFullListWritesTheNewItemAndRemovesTheOldest() throws Exception {
        CountingEntries entries = new CountingEntries();
        for (int i = 1; i <= 20; i++) {
            EntryList.Stored<String> stored = EntryList.read(entries);
            EntryList.write(entries, stored, append(stored.items(), "t" + i, 8));
        }
        assertThat(entries.items()).containsExactly("t13", "t14", "t15", "t16", "t17", "t18", "t19", "t20");
        // One put per turn; one remove per turn once eight are kept. Rewriting the list would put 8 a turn.
        assertThat(entries.puts).isEqualTo(20);
        assertThat(entries.removes).isEqualTo(12);
        // Positions only grow, so the order survives a backend that iterates in any order.
        assertThat(EntryList.read(entries).positions()).containsExactly(12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
    }

    @Test
    void droppingItemsAnywhereRemovesJustThose() throws Exception {
        CountingEntries entries = new CountingEntries();
        EntryList.write(entries, EntryList.Stored.empty(), List.of("a", "b", "c", "d"));
        EntryList.write(entries, EntryList.read(entries), List.of("a", "c", "e"));
        assertThat(entries.items()).containsExactly("a", "c", "e");
        assertThat(entries.puts).isEqualTo(5);
        assertThat(entries.removes).isEqualTo(2);
        // Emptied, and started again after the last position used.
        EntryList.write(entries, EntryList.read(entries), List.of());
        EntryList.write(entries, EntryList.read(entries), List.of("f"));
        assertThat(EntryList.read(entries).positions()).containsExactly(0L);
        assertThat(entries.items()).containsExactly("f");
    }

    @Test
    void anyNextListIsStoredExactly() throws Exception {
        long seed = System.nanoTime();
        System.out.println("EntryListTest seed " + seed);
        Random random = new Random(seed);
        CountingEntries entries = new CountingEntries();
        List<String> expected = List.of();
        for (int round = 0; round < 500; round++) {
            // Any list of a few letters: kept, reordered, repeated, new; the stored list must become it.
            List<String> next = new ArrayList<>();
            int size = random.nextInt(6);
            for (int i = 0; i < size; i++) {
                next.add(random.nextInt(3) == 0 && !expected.isEmpty()
                        ? expected.get(random.nextInt(expected.size()))
                        : String.valueOf((char) ('a' + random.nextInt(8))));
            }
            EntryList.write(entries, EntryList.read(entries), next);
            expected = next;
            assertThat(entries.items()).as("seed %d, round %d", seed, round).isEqualTo(expected);
        }
    }

    @Test
    void aListKeptAsOneValueMovesIntoEntriesOnce() throws Exception {
        CountingEntries entries = new CountingEntries();
        List<List<String>> earlier = new ArrayList<>(List.of(List.of("a", "b")));
        EntryList.Earlier<String> take = () -> earlier.isEmpty() ? null : earlier.remove(0);
        assertThat(EntryList.read(entries, take).items()).containsExactly("a", "b");
        assertThat(earlier).isEmpty(); // taken: the value is cleared
        EntryList.write(entries, EntryList.read(entries, take), List.of("b", "c"));
        assertThat(EntryList.read(entries, take).items()).containsExactly("b", "c");
        // While there are entries the earlier value is not even looked for.
        earlier.add(List.of("stale"));
        assertThat(EntryList.read(entries, take).items()).containsExactly("b", "c");
        assertThat(earlier).hasSize(1);
    }

    @Test
    void nothingStoredReadsAsEmpty() throws Exception {
        EntryList.Entries<String> none = new CountingEntries() {
            @Override
            public Iterable<Map.Entry<Long, String>> entries() {
                return null; // what some backends answer for a key that has no entries
            }
        };
        assertThat(EntryList.read(none).isEmpty()).isTrue();
    }
}
