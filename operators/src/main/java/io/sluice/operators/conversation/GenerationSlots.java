package io.sluice.operators.conversation;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The generations a subtask of the {@code conversation} stage runs, and the turns that wait for one.
 * Each backend (a model server, or an in-process model; the profiles served by one share it) runs at
 * most {@code maxInFlight} generations at once. A turn that finds its backend's slots taken is parked
 * ({@link ParkedTurns}: by priority lane, then oldest first) and starts when one of them ends; a
 * backend with {@value #PARKED_PER_SLOT} times {@code maxInFlight} turns parked is overloaded, and
 * refuses further ones rather than make the input wait behind a slow or hung backend (its breaker
 * and timeouts bound how long one is). The caller owns the clock and the turns; this class counts.
 */
public final class GenerationSlots {

    /** Parked turns per generation slot beyond which a backend is overloaded. */
    public static final int PARKED_PER_SLOT = 16;

    private final int maxInFlight;
    private final ParkedTurns parked;
    private final Map<String, Integer> runningByBackend = new HashMap<>();
    private int running;

    /**
     * @param maxInFlight generations one backend runs at once
     * @param lanes the tenant tiers whose turns start first, in that order ({@link ParkedTurns})
     */
    public GenerationSlots(int maxInFlight, List<String> lanes) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("a backend needs at least one generation slot, got " + maxInFlight);
        }
        this.maxInFlight = maxInFlight;
        this.parked = new ParkedTurns(lanes);
    }

    /** The lane of a turn of a tenant of {@code tier} ({@link ParkedTurns#laneOf}). */
    public int laneOf(String tier, boolean bulk) {
        return parked.laneOf(tier, bulk);
    }

    /** The number of lanes of interactive turns. */
    public int interactiveLanes() {
        return parked.interactiveLanes();
    }

    /** Whether {@code backend} can start a generation now. */
    public boolean free(String backend) {
        return running(backend) < maxInFlight;
    }

    /** Whether {@code backend} has so many turns parked that it refuses more. */
    public boolean overloaded(String backend) {
        return parked(backend) >= PARKED_PER_SLOT * maxInFlight;
    }

    /**
     * Whether as many turns are parked, all backends together, as one overloaded backend would
     * have: where nothing may be refused (replay), input then waits until some have started.
     */
    public boolean full() {
        return parked.size() >= PARKED_PER_SLOT * maxInFlight;
    }

    /** Generations of {@code backend} running and turns parked for it: the load the degradation ladder sees. */
    public int backlog(String backend) {
        return running(backend) + parked(backend);
    }

    /** A generation of {@code backend} started. */
    public void started(String backend) {
        runningByBackend.merge(backend, 1, Integer::sum);
        running++;
    }

    /** A generation of {@code backend} ended. */
    public void ended(String backend) {
        int left = running(backend) - 1;
        if (left < 0) {
            throw new IllegalStateException("no generation of backend " + backend + " is running");
        }
        if (left == 0) {
            runningByBackend.remove(backend);
        } else {
            runningByBackend.put(backend, left);
        }
        running--;
    }

    /**
     * Parks the conversation {@code key}, whose head turn is of {@code lane}, at {@code now}, until
     * {@code backend} has a slot.
     */
    public void park(String backend, int lane, String key, long now) {
        parked.park(backend, lane, key, now);
    }

    /**
     * The conversation whose parked turn starts next on {@code backend}, taken off the queue, if
     * the backend has a slot free; null when it has none free or no turn waits for it.
     */
    public String next(String backend) {
        return free(backend) ? parked.next(backend) : null;
    }

    /** The interactive turns parked at or before {@code parkedBy} ({@link ParkedTurns#parkedBy}). */
    public List<ParkedTurns.Parked> parkedBy(long parkedBy) {
        return parked.parkedBy(parkedBy);
    }

    /** Takes {@code turn} off its backend's queue; false when it is no longer there. */
    public boolean remove(ParkedTurns.Parked turn) {
        return parked.remove(turn);
    }

    /** When the turn parked longest was parked ({@code Long.MAX_VALUE}: none is). */
    public long oldestParked() {
        return parked.oldest();
    }

    /** Generations running, all backends together. */
    public int running() {
        return running;
    }

    /** Turns parked for {@code backend}. */
    public int parked(String backend) {
        return parked.size(backend);
    }

    /** Turns parked, all backends together. */
    public int parked() {
        return parked.size();
    }

    /** Generations of {@code backend} running. */
    public int running(String backend) {
        return runningByBackend.getOrDefault(backend, 0);
    }
}
