package io.sluice.model.chat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * The health of one backend, as callers see it: {@link State#CLOSED} (calls go through),
 * {@link State#OPEN} after {@code failures} failures within {@code window} (calls are refused at
 * once, for {@code coolDown}), then {@link State#HALF_OPEN}: one probe call goes through; its
 * success closes the breaker, its failure opens it for another cool-down. Only failures of the
 * backend count ({@link #failed}); a call the backend refused for its content proves it alive
 * ({@link #succeeded}).
 *
 * <p>Time is a monotonic clock (nanoseconds; injected for tests): a breaker is live health, not a
 * decision replay re-derives. Thread-safe.
 */
public final class CircuitBreaker {

    /** Where the breaker stands. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    /** What opens and closes a breaker. */
    public record Settings(int failures, Duration window, Duration coolDown) implements java.io.Serializable {

        /** Ten failures within a minute open it for a minute. */
        public static final Settings DEFAULT = new Settings(10, Duration.ofSeconds(60), Duration.ofSeconds(60));

        public Settings {
            if (failures < 1 || window.isNegative() || window.isZero() || coolDown.isNegative() || coolDown.isZero()) {
                throw new IllegalArgumentException("a breaker needs at least one failure, a positive window and a "
                        + "positive cool-down");
            }
        }
    }

    private final Settings settings;
    private final LongSupplier nanos;
    private final ArrayDeque<Long> recentFailures = new ArrayDeque<>();
    private State state = State.CLOSED;
    private long openedAt;
    private boolean probing;
    private long opened;

    public CircuitBreaker(Settings settings) {
        this(settings, System::nanoTime);
    }

    public CircuitBreaker(Settings settings, LongSupplier nanos) {
        this.settings = settings;
        this.nanos = nanos;
    }

    /**
     * Whether a call may go to the backend now. In half-open state the first caller gets the probe
     * and must report its outcome; the others are refused until it does.
     */
    public synchronized boolean tryAcquire() {
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (nanos.getAsLong() - openedAt < settings.coolDown().toNanos()) {
                    return false;
                }
                state = State.HALF_OPEN;
                probing = true;
                return true;
            default:
                if (probing) {
                    return false;
                }
                probing = true;
                return true;
        }
    }

    /** A call that went through ended well, or was refused by a backend that answered. */
    public synchronized void succeeded() {
        if (state == State.HALF_OPEN) {
            state = State.CLOSED;
            probing = false;
            recentFailures.clear();
        }
    }

    /** A call failed because of the backend: a timeout, a connection failure, a 429 or 5xx, a broken stream. */
    public synchronized void failed() {
        long now = nanos.getAsLong();
        if (state == State.HALF_OPEN) {
            open(now);
            return;
        }
        if (state == State.OPEN) {
            return; // a call admitted before it opened
        }
        recentFailures.addLast(now);
        while (!recentFailures.isEmpty() && now - recentFailures.peekFirst() > settings.window().toNanos()) {
            recentFailures.removeFirst();
        }
        if (recentFailures.size() >= settings.failures()) {
            open(now);
        }
    }

    private void open(long now) {
        state = State.OPEN;
        openedAt = now;
        probing = false;
        recentFailures.clear();
        opened++;
    }

    public synchronized State state() {
        // An open breaker whose cool-down has passed lets the next call probe: it is as good as half-open.
        return state == State.OPEN && nanos.getAsLong() - openedAt >= settings.coolDown().toNanos()
                ? State.HALF_OPEN : state;
    }

    /** How long an open breaker still refuses calls; zero otherwise. */
    public synchronized Duration retryAfter() {
        if (state != State.OPEN) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(Math.max(0, settings.coolDown().toNanos() - (nanos.getAsLong() - openedAt)));
    }

    /** How many times the breaker has opened. */
    public synchronized long timesOpened() {
        return opened;
    }

    public Settings settings() {
        return settings;
    }
}
