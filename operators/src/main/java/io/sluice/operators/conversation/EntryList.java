package io.sluice.operators.conversation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A list kept in keyed state one item per entry, each at a position that only grows, so that a change
 * writes the items it adds and removes the ones it drops, and leaves the others alone.
 *
 * <p>Why: a list kept as one value is written whole at every change, and the changelog state backend
 * logs every write. A conversation's history of eight turns, rewritten at each turn, cost about
 * 3.4 kB per turn that way; appending a turn and dropping the oldest writes one turn.
 *
 * <p>The caller reads the stored entries ({@link #read}), derives the next list from their items
 * with the list logic it already has, and stores that ({@link #write}). The next list is usually
 * some of the stored items, in their order, followed by new ones; those stored items keep their
 * entries. Any other next list is stored correctly too, only with more writes.
 */
public final class EntryList {

    private EntryList() {}

    /** Where the entries are kept: the conversation operator's map state of the current key, or a map in tests. */
    public interface Entries<T> {
        Iterable<Map.Entry<Long, T>> entries() throws Exception;

        void put(long position, T item) throws Exception;

        void remove(long position) throws Exception;
    }

    /** The stored items in the order of their positions, and those positions. */
    public record Stored<T>(List<Long> positions, List<T> items) {

        public Stored {
            positions = List.copyOf(positions);
            items = List.copyOf(items);
            if (positions.size() != items.size()) {
                throw new IllegalArgumentException("one position per item");
            }
        }

        public static <T> Stored<T> empty() {
            return new Stored<>(List.of(), List.of());
        }

        public boolean isEmpty() {
            return items.isEmpty();
        }

        /** The position after every stored one: where the next new item goes. */
        long next() {
            return isEmpty() ? 0L : positions.get(positions.size() - 1) + 1;
        }
    }

    /**
     * The stored items. Entries come back in whatever order the state backend iterates (RocksDB sorts
     * them by their serialized keys, the heap backend does not), so they are sorted here.
     */
    public static <T> Stored<T> read(Entries<T> entries) throws Exception {
        TreeMap<Long, T> sorted = new TreeMap<>();
        Iterable<Map.Entry<Long, T>> stored = entries.entries();
        if (stored != null) {
            for (Map.Entry<Long, T> e : stored) {
                sorted.put(e.getKey(), e.getValue());
            }
        }
        return new Stored<>(new ArrayList<>(sorted.keySet()), new ArrayList<>(sorted.values()));
    }

    /** A list that an earlier build kept as one value, taken (read and cleared); null or empty if there is none. */
    @FunctionalInterface
    public interface Earlier<T> {
        List<T> take() throws Exception;
    }

    /**
     * The stored items, after moving into entries the list an earlier build kept as one value. It is
     * looked for only while there are no entries, so a list moves once, the first time it is read.
     */
    public static <T> Stored<T> read(Entries<T> entries, Earlier<T> earlier) throws Exception {
        Stored<T> stored = read(entries);
        if (!stored.isEmpty()) {
            return stored;
        }
        List<T> items = earlier.take();
        if (items == null || items.isEmpty()) {
            return stored;
        }
        write(entries, stored, items);
        return read(entries);
    }

    /**
     * Stores {@code next} in place of {@code stored}, which must be what the entries hold now. Stored
     * items that {@code next} keeps in the same order (matched by {@code equals}, front to back) stay;
     * every other stored item is removed, and the rest of {@code next} is put after the last position.
     */
    public static <T> void write(Entries<T> entries, Stored<T> stored, List<T> next) throws Exception {
        int kept = 0;
        for (int i = 0; i < stored.items().size(); i++) {
            if (kept < next.size() && next.get(kept).equals(stored.items().get(i))) {
                kept++;
            } else {
                entries.remove(stored.positions().get(i));
            }
        }
        long position = stored.next();
        for (int i = kept; i < next.size(); i++) {
            entries.put(position++, next.get(i));
        }
    }
}
