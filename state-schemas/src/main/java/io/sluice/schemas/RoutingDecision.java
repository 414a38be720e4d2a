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
 * the classifier gave the message, the profile chosen with its version, and every candidate passed
 * over before it, in order, with the reason. Only {@link Skip#BREAKER_OPEN} depends on anything
 * live; replay takes those from the journal and re-derives the rest.
 */
public record RoutingDecision(int policyVersion, String rule, String intent, String profile, int profileVersion,
        List<Skip> skipped) {

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
        /** The profile's backend has its circuit breaker open on this TaskManager (live, journaled). */
        public static final String BREAKER_OPEN = "breaker-open";
    }

    public RoutingDecision {
        skipped = List.copyOf(skipped);
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
        return policyVersion == 0 && skipped.isEmpty();
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
    }

    static RoutingDecision read(DataInputView in) throws IOException {
        return new RoutingDecision(in.readInt(), Fields.readString(in), Fields.readString(in), Fields.readString(in),
                in.readInt(), Fields.readList(in, i -> new Skip(Fields.readString(i), Fields.readString(i))));
    }
}
