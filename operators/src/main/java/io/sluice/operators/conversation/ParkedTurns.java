package io.sluice.operators.conversation;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns waiting for a backend to have a generation free, by backend, in priority lanes: interactive
 * requests of the tenant tiers named in {@code lanes} come first, in that order, then interactive
 * requests of every other tier, then bulk requests ({@code ChatRequest.BULK}) of any tier last, so
 * interactive traffic never waits behind bulk work for a slot; within a lane, oldest first. A parked
 * turn is its conversation's key (the turn itself stays the head of the conversation's pending
 * list) and the time it was parked, by a monotonic clock in milliseconds that the caller reads.
 * Lanes order waiting only: what a turn is answered with does not depend on them.
 */
public final class ParkedTurns {

    /** A parked turn: its backend, its conversation's key, and when it was parked. */
    public record Parked(String backend, String key, long parkedAt) {}

    private final List<String> lanes;
    private final Map<String, ArrayDeque<Parked>[]> byBackend = new HashMap<>();
    private int size;

    /** @param lanes tenant tiers, highest priority first; empty: one lane for all interactive turns */
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

    /**
     * Parks the conversation {@code key}, whose turn is of {@code lane}, at {@code now}, until
     * {@code backend} has a slot.
     */
    @SuppressWarnings("unchecked")
    public void park(String backend, int lane, String key, long now) {
        ArrayDeque<Parked>[] queues = byBackend.computeIfAbsent(backend, m -> new ArrayDeque[lanes()]);
        if (queues[lane] == null) {
            queues[lane] = new ArrayDeque<>();
        }
        queues[lane].addLast(new Parked(backend, key, now));
        size++;
    }

    /** The next conversation to start for {@code backend}: the oldest of its highest lane; null if none. */
    public String next(String backend) {
        ArrayDeque<Parked>[] queues = byBackend.get(backend);
        if (queues == null) {
            return null;
        }
        for (ArrayDeque<Parked> q : queues) {
            if (q != null && !q.isEmpty()) {
                size--;
                return q.pollFirst().key();
            }
        }
        return null;
    }

    /**
     * The interactive turns parked at or before {@code parkedBy}, oldest of each lane first; they
     * stay parked until {@link #remove}d.
     */
    public List<Parked> parkedBy(long parkedBy) {
        List<Parked> overdue = new ArrayList<>();
        for (ArrayDeque<Parked>[] queues : byBackend.values()) {
            for (int lane = 0; lane < interactiveLanes(); lane++) {
                if (queues[lane] != null) {
                    for (Parked p : queues[lane]) {
                        if (p.parkedAt() > parkedBy) {
                            break; // each lane is in parking order
                        }
                        overdue.add(p);
                    }
                }
            }
        }
        return overdue;
    }

    /** Takes {@code parked} off its backend's queue; false if it is not there (started meanwhile). */
    public boolean remove(Parked parked) {
        ArrayDeque<Parked>[] queues = byBackend.get(parked.backend());
        if (queues != null) {
            for (ArrayDeque<Parked> q : queues) {
                if (q != null && q.remove(parked)) {
                    size--;
                    return true;
                }
            }
        }
        return false;
    }

    /** When the turn that has waited longest was parked ({@code Long.MAX_VALUE}: none is). */
    public long oldest() {
        long oldest = Long.MAX_VALUE;
        for (ArrayDeque<Parked>[] queues : byBackend.values()) {
            for (ArrayDeque<Parked> q : queues) {
                if (q != null && !q.isEmpty()) {
                    oldest = Math.min(oldest, q.peekFirst().parkedAt());
                }
            }
        }
        return oldest;
    }

    /** Turns parked for {@code backend}. */
    public int size(String backend) {
        ArrayDeque<Parked>[] queues = byBackend.get(backend);
        int n = 0;
        if (queues != null) {
            for (ArrayDeque<Parked> q : queues) {
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
