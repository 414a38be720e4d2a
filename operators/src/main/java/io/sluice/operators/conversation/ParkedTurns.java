package io.sluice.operators.conversation;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns waiting for an answer model to have a generation free, by model, in priority lanes: the
 * tenant tiers named in {@code lanes} come first, in that order, and every other tier after them,
 * so interactive traffic never waits behind bulk work for a slot; within a lane, oldest first. A
 * parked turn is its conversation's key (the turn itself stays the head of the conversation's
 * pending list). Lanes order waiting only: what a turn is answered with does not depend on them.
 */
public final class ParkedTurns {

    private final List<String> lanes;
    private final Map<String, ArrayDeque<String>[]> byModel = new HashMap<>();
    private int size;

    /** @param lanes tenant tiers, highest priority first; empty: one lane for all */
    public ParkedTurns(List<String> lanes) {
        this.lanes = List.copyOf(lanes);
    }

    /** The lane of a tenant tier: its place in the list, or the last lane when it is not named. */
    public int laneOf(String tier) {
        int i = lanes.indexOf(tier);
        return i < 0 ? lanes.size() : i;
    }

    /** Parks the conversation {@code key}, whose tenant is of {@code tier}, until {@code model} has a slot. */
    @SuppressWarnings("unchecked")
    public void park(String model, String tier, String key) {
        ArrayDeque<String>[] queues = byModel.computeIfAbsent(model, m -> new ArrayDeque[lanes.size() + 1]);
        int lane = laneOf(tier);
        if (queues[lane] == null) {
            queues[lane] = new ArrayDeque<>();
        }
        queues[lane].addLast(key);
        size++;
    }

    /** The next conversation to start for {@code model}: the oldest of its highest lane; null if none. */
    public String next(String model) {
        ArrayDeque<String>[] queues = byModel.get(model);
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

    /** Turns parked for {@code model}. */
    public int size(String model) {
        ArrayDeque<String>[] queues = byModel.get(model);
        int n = 0;
        if (queues != null) {
            for (ArrayDeque<String> q : queues) {
                n += q == null ? 0 : q.size();
            }
        }
        return n;
    }

    /** The number of lanes: one per named tier, and one for every other tier. */
    public int lanes() {
        return lanes.size() + 1;
    }

    /** Turns parked, all models together. */
    public int size() {
        return size;
    }
}
