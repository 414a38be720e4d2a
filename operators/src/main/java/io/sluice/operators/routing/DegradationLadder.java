package io.sluice.operators.routing;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * What a generative turn gives up when its model is behind, in order: fewer sources (half the
 * top-k), a compressed context (the newest turn of history and the best source only), a cheaper
 * profile (the next of its chain), and only then the turn itself ({@link Step#OVERLOADED}). Each
 * step is taken when the model's backlog — generations running plus turns waiting for it — reaches
 * its threshold (0: the step is off), and every step below the one taken is taken too.
 *
 * <p>Lanes: the thresholds hold for interactive turns of the lowest interactive lane; a lane
 * {@code k} places above it tolerates {@code k + 1} times the backlog, so lower tiers degrade first,
 * and bulk turns tolerate half of it, so they degrade before any interactive turn. The step is a
 * function of the backlog, the lane and these thresholds only: the backlog is recorded on the turn,
 * and replay re-derives the step from it.
 *
 * <p>Queueing delay: with a budget ({@link #withQueueDelay}), an interactive turn parked for a slot
 * of its backend longer than that is taken off the queue to a cheaper profile, if its chain has one,
 * as if the backlog had reached the cheaper-profile step. How long it waited is live: it is recorded
 * on the turn, and replay takes the same step for the turn from the journal. Bulk turns wait.
 */
public record DegradationLadder(int smallerTopK, int compressedContext, int cheaperProfile, int refuse,
        Duration queueDelay) implements Serializable {

    /** Steps, mildest first. */
    public enum Step { NONE, SMALLER_TOP_K, COMPRESSED_CONTEXT, CHEAPER_PROFILE, OVERLOADED }

    /** No degradation at all. */
    public static final DegradationLadder OFF = new DegradationLadder(0, 0, 0, 0);

    public DegradationLadder {
        if (smallerTopK < 0 || compressedContext < 0 || cheaperProfile < 0 || refuse < 0) {
            throw new IllegalArgumentException("degradation thresholds must not be negative");
        }
        queueDelay = queueDelay == null ? Duration.ZERO : queueDelay;
        if (queueDelay.isNegative()) {
            throw new IllegalArgumentException("the queueing-delay budget must not be negative");
        }
    }

    /** A ladder on the backlog alone. */
    public DegradationLadder(int smallerTopK, int compressedContext, int cheaperProfile, int refuse) {
        this(smallerTopK, compressedContext, cheaperProfile, refuse, Duration.ZERO);
    }

    /**
     * This ladder, with interactive turns that wait longer than {@code budget} for a slot of their
     * backend taken off its queue to a cheaper profile (the {@link Step#CHEAPER_PROFILE} step, and
     * every step below it); zero: they wait.
     */
    public DegradationLadder withQueueDelay(Duration budget) {
        return new DegradationLadder(smallerTopK, compressedContext, cheaperProfile, refuse, budget);
    }

    /** Whether turns that wait too long are taken off their backend's queue. */
    public boolean boundsQueueDelay() {
        return !queueDelay.isZero();
    }

    /** The ladder of {@code thresholds}: the backlogs of the four steps, in order (0: off). */
    public static DegradationLadder of(List<Integer> thresholds) {
        if (thresholds.isEmpty()) {
            return OFF;
        }
        if (thresholds.size() != 4) {
            throw new IllegalArgumentException("the degradation ladder needs four thresholds (smaller top-k, "
                    + "compressed context, cheaper profile, refusal), 0 for a step that is off; got " + thresholds);
        }
        return new DegradationLadder(thresholds.get(0), thresholds.get(1), thresholds.get(2), thresholds.get(3));
    }

    /**
     * The step for an interactive turn of lane {@code lane} (0 is the highest) of
     * {@code interactiveLanes} lanes when {@code backlog} generations of its backend are running or
     * waiting.
     */
    public Step stepFor(int backlog, int lane, int interactiveLanes) {
        return stepAt(backlog, 2L * Math.max(1, interactiveLanes - lane));
    }

    /** The step for a bulk turn when {@code backlog} generations of its backend are running or waiting. */
    public Step stepForBulk(int backlog) {
        return stepAt(backlog, 1);
    }

    /**
     * The step for a turn, bulk or of interactive lane {@code lane}, when {@code backlog}
     * generations of its backend are running or waiting and it has waited {@code waitedMs} for a
     * slot past the queueing-delay budget (0: it has not): such a turn goes to a cheaper profile at
     * least.
     */
    public Step stepFor(boolean bulk, int backlog, int lane, int interactiveLanes, long waitedMs) {
        Step step = bulk ? stepForBulk(backlog) : stepFor(backlog, lane, interactiveLanes);
        return waitedMs > 0 && step.compareTo(Step.CHEAPER_PROFILE) < 0 ? Step.CHEAPER_PROFILE : step;
    }

    /** The step at {@code backlog} when each threshold counts {@code halves} halves of itself. */
    private Step stepAt(int backlog, long halves) {
        int[] thresholds = {smallerTopK, compressedContext, cheaperProfile, refuse};
        Step step = Step.NONE;
        for (int i = 0; i < thresholds.length; i++) {
            if (thresholds[i] > 0 && 2L * backlog >= thresholds[i] * halves) {
                step = Step.values()[i + 1];
            }
        }
        return step;
    }
}
