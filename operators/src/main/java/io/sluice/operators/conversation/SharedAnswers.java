package io.sluice.operators.conversation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Stampede protection for cached answers: the first turn that asks for a response-cache key's
 * answer computes it (a cache lookup, then the model on a miss), and turns that ask for the same
 * key meanwhile wait for that answer instead of asking the model too. When the first is done, the
 * waiting turns are handed back: to be answered with its answer, or, when it has none that belongs
 * to the key (it failed, or failed over to another profile), to ask for their own.
 *
 * @param <T> a turn being answered
 */
public final class SharedAnswers<T> {

    private record Computation<T>(T first, List<T> waiting) {}

    private final Map<String, Computation<T>> computing = new HashMap<>();

    /**
     * Asks for {@code key}'s answer on behalf of {@code turn}: true when {@code turn} is the first
     * and computes it, false when another turn does and {@code turn} now waits for it.
     */
    public boolean ask(String key, T turn) {
        Computation<T> same = computing.get(key);
        if (same != null) {
            same.waiting().add(turn);
            return false;
        }
        computing.put(key, new Computation<>(turn, new ArrayList<>()));
        return true;
    }

    /**
     * {@code turn} is done with {@code key}: when it was the turn computing the key's answer, the
     * key is free again and the turns that waited for it are returned, in the order they asked;
     * otherwise nothing changes and the list is empty.
     */
    public List<T> done(String key, T turn) {
        Computation<T> computation = key == null ? null : computing.get(key);
        if (computation == null || computation.first() != turn) {
            return List.of();
        }
        computing.remove(key);
        return computation.waiting();
    }

    /** Keys whose answer a turn is computing now. */
    public int computing() {
        return computing.size();
    }
}
