package io.sluice.schemas;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An in-process map that keeps the {@code maxEntries} most recently used entries: what an operator
 * or the gateway remembers of values that are costly to compute or look up and come back (parsed
 * limits, token counts, injection verdicts, API keys). Here, beside the records, so that every
 * module can share it. Not thread-safe.
 */
public final class LruMap<K, V> extends LinkedHashMap<K, V> {

    private final int maxEntries;

    public LruMap(int maxEntries) {
        super(Math.min(maxEntries, 256), 0.75f, true);
        if (maxEntries < 1) {
            throw new IllegalArgumentException("an LRU map holds at least one entry, got " + maxEntries);
        }
        this.maxEntries = maxEntries;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > maxEntries;
    }
}
