package io.sluice.operators.conversation;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns waiting for a backend to have a generation free, by backend, in priority lanes: interactive
 * requests of the tenant tiers named in {@code lanes} come first, in that order, then interactive
 * requests of every other tier, then bulk requests ({@code ChatRequest.BULK}) of any tier last, so
 * interactive traffic never waits behind bulk work for a slot; within a lane, oldest first. A parked
 * turn is its conversation's key (the turn itself stays the head of the conversation's pending
 * list). Lanes order waiting only: what a turn is answered with does not depend on them.
 */
public final class ParkedTurns {

    private final List<String> lanes;
    private final Map<String, ArrayDeque<String>[]> byBackend = new HashMap<>();
    private int size;

    /** @param lanes tenant tiers, highest priority first; empty: one lane for all */
    public ParkedTurns(List<String> lanes) {
        this.lanes = List.copyOf(lanes);
    }

    /**
     * The lane of a turn of a tenant of {@code tier}: a bulk turn's is the last; an interactive one's
     * its tier's place in the list, or the one after the named tiers when it is not named.
     */
    public int laneOf(String tier, boolean bulk) {
        if (bulk) {
            return lanes.size() + 1;
        }
        int i = lanes.indexOf(tier);
        return i < 0 ? lanes.size() : i;
    }

    /** Parks the conversation {@code key}, whose turn is of {@code lane}, until {@code backend} has a slot. */
    @SuppressWarnings("unchecked")
    public void park(String backend, int lane, String key) {
        ArrayDeque<String>[] queues = byBackend.computeIfAbsent(backend, m -> new ArrayDeque[lanes()]);
        if (queues[lane] == null) {
            queues[lane] = new ArrayDeque<>();
        }
        queues[lane].addLast(key);
        size++;
    }

    /** The next conversation to start for {@code backend}: the oldest of its highest lane; null if none. */
    public String next(String backend) {
        ArrayDeque<String>[] queues = byBackend.get(backend);
        if (queues == null) {
            return null;
        }
        for (ArrayDeque<String> q : queues) {
            if (q != null && !q.isEmpty()) {
                size--;
                return q.pollFirst();
            }
        }
        return null;
    }

    /** Turns parked for {@code backend}. */
    public int size(String backend) {
        ArrayDeque<String>[] queues = byBackend.get(backend);
        int n = 0;
        if (queues != null) {
            for (ArrayDeque<String> q : queues) {
                n += q == null ? 0 : q.size();
            }
        }
        return n;
    }

    /** The number of lanes: one per named tier, one for every other tier, one for bulk turns. */
    public int lanes() {
        return interactiveLanes() + 1;
    }

    /** The number of lanes of interactive turns: one per named tier, one for every other tier. */
    public int interactiveLanes() {
        return lanes.size() + 1;
    }

    /** Turns parked, all backends together. */
    public int size() {
        return size;
    }
}
