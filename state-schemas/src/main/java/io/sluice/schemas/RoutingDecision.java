package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.List;

/**
 * Which model profile answered a turn, and why: the routing policy's version ({@code 0}: the job
 * has no policy file, every request is answered by the profile it names), the rule that chose the
 * candidates ({@link #REQUESTED} when the request named a profile rather than a route), the intent
 * the classifier gave the message, the profile that gave the answer (or its end) with its version,
 * every candidate passed over, in order, with the reason, and the profiles that failed while
 * answering ({@code failovers}, in order: each one's part is the answer's next {@code chars}
 * characters, and the next profile continued from there). Only {@link Skip#BREAKER_OPEN} and the
 * failovers depend on anything live; replay takes those from the journal and re-derives the rest.
 */
public record RoutingDecision(int policyVersion, String rule, String intent, String profile, int profileVersion,
        List<Skip> skipped, List<Failover> failovers, Degradation degradation) {

    /**
     * How far the turn was degraded under load ({@code step}: the last step of the ladder taken, see
     * {@code DegradationLadder}), and the load it was decided on: the generations of its backend
     * running or waiting when it started ({@code backlog}), and, when it was taken off its backend's
     * queue for waiting longer than the queueing-delay budget, how long it had waited
     * ({@code waitedMs}, else 0). Both are live, so journaled.
     */
    public record Degradation(String step, int backlog, long waitedMs) implements java.io.Serializable {

        private static final long serialVersionUID = 1L;

        /** A degradation decided on the backlog alone. */
        public Degradation(String step, int backlog) {
            this(step, backlog, 0);
        }

        /** Whether the turn was degraded for waiting too long rather than for the backlog. */
        public boolean waited() {
            return waitedMs > 0;
        }
    }

    /** A decision under no load worth recording. */
    public RoutingDecision(int policyVersion, String rule, String intent, String profile, int profileVersion,
            List<Skip> skipped, List<Failover> failovers) {
        this(policyVersion, rule, intent, profile, profileVersion, skipped, failovers, null);
    }

    /**
     * A profile whose backend failed while answering (after its retries): its model ({@code modelId}),
     * the pieces of text it had streamed, and how many characters of the answer they became.
     */
    public record Failover(String profile, String modelId, int pieces, int chars) {}

    /** A decision before any failover. */
    public RoutingDecision(int policyVersion, String rule, String intent, String profile, int profileVersion,
            List<Skip> skipped) {
        this(policyVersion, rule, intent, profile, profileVersion, skipped, List.of());
    }

    /**
     * This decision after its profile failed as {@code failed}: answered on by {@code next} (null
     * when no candidate is left), with the candidates passed over on the way added.
     */
    public RoutingDecision failedOver(Failover failed, String next, int nextVersion, List<Skip> passedOver) {
        List<Skip> allSkipped = new java.util.ArrayList<>(skipped);
        allSkipped.addAll(passedOver);
        List<Failover> all = new java.util.ArrayList<>(failovers);
        all.add(failed);
        return new RoutingDecision(policyVersion, rule, intent, next, nextVersion, allSkipped, all, degradation);
    }

    /** This decision, with the turn degraded as {@code d} says, answered by {@code next} (after {@code passedOver}). */
    public RoutingDecision degraded(Degradation d, String next, int nextVersion, List<Skip> passedOver) {
        List<Skip> allSkipped = new java.util.ArrayList<>(skipped);
        allSkipped.addAll(passedOver);
        return new RoutingDecision(policyVersion, rule, intent, next, nextVersion, allSkipped, failovers, d);
    }

    /** The rule of a request that named a profile itself. */
    public static final String REQUESTED = "requested";

    /** A candidate profile passed over, and why. */
    public record Skip(String profile, String reason) {
        /** The tenant may not use the profile (its {@code models}). */
        public static final String NOT_ALLOWED = "not-allowed";
        /** The profile's residency is not the tenant's. */
        public static final String RESIDENCY = "residency";
        /** The turn's context budget and answer do not fit the profile's context window. */
        public static final String CONTEXT_WINDOW = "context-window";
        /** The turn was degraded to a cheaper profile: its load passed that step of the ladder. */
        public static final String OVERLOADED = "overloaded";
        /** The profile's backend has its circuit breaker open on this TaskManager (live, journaled). */
        public static final String BREAKER_OPEN = "breaker-open";
        /**
         * A failover after text was streamed, and the profile cannot continue a text (the extractive
         * answerer answers afresh).
         */
        public static final String CANNOT_CONTINUE = "cannot-continue";
    }

    public RoutingDecision {
        skipped = List.copyOf(skipped);
        failovers = failovers == null ? List.of() : List.copyOf(failovers);
    }

    /** The decision of a turn answered by the profile its request named, in a job without a policy file. */
    public static RoutingDecision requested(String profile) {
        return new RoutingDecision(0, REQUESTED, null, profile, 0, List.of());
    }

    /**
     * Whether the decision says nothing beyond the request's own answer model: no policy, nothing
     * skipped. Audit rows leave such decisions out, so rows of jobs without a policy keep their content.
     */
    public boolean trivial() {
        return policyVersion == 0 && skipped.isEmpty() && failovers.isEmpty() && degradation == null;
    }

    /** Whether the choice depended on a breaker that was open. */
    public boolean dependedOnHealth() {
        return skipped.stream().anyMatch(s -> Skip.BREAKER_OPEN.equals(s.reason()));
    }

    static void write(RoutingDecision v, DataOutputView out) throws IOException {
        out.writeInt(v.policyVersion);
        Fields.writeString(out, v.rule);
        Fields.writeString(out, v.intent);
        Fields.writeString(out, v.profile);
        out.writeInt(v.profileVersion);
        Fields.writeList(out, v.skipped, (s, o) -> {
            Fields.writeString(o, s.profile());
            Fields.writeString(o, s.reason());
        });
        Fields.writeList(out, v.failovers, (f, o) -> {
            Fields.writeString(o, f.profile());
            Fields.writeString(o, f.modelId());
            o.writeInt(f.pieces());
            o.writeInt(f.chars());
        });
        out.writeBoolean(v.degradation != null);
        if (v.degradation != null) {
            Fields.writeString(out, v.degradation.step());
            out.writeInt(v.degradation.backlog());
            out.writeLong(v.degradation.waitedMs());
        }
    }

    /** Reads a decision; {@code waited}: whether its degradation has {@code waitedMs} (from AnsweredTurn v13). */
    static RoutingDecision read(DataInputView in, boolean waited) throws IOException {
        return new RoutingDecision(in.readInt(), Fields.readString(in), Fields.readString(in), Fields.readString(in),
                in.readInt(), Fields.readList(in, i -> new Skip(Fields.readString(i), Fields.readString(i))),
                Fields.readList(in, i -> new Failover(Fields.readString(i), Fields.readString(i), i.readInt(),
                        i.readInt())), in.readBoolean() ? new Degradation(Fields.readString(in), in.readInt(),
                                waited ? in.readLong() : 0) : null);
    }
}
