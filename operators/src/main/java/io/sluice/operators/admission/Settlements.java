package io.sluice.operators.admission;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.Settlement;

import java.util.Optional;
import java.util.Set;

/**
 * Turns how admitted requests ended into {@link Settlement}s for the admission stage: an answered
 * generative turn spends what its model reported; a request a later stage refused or failed on
 * spends nothing. Only for tenants whose generations are counted ({@link Admission#budgeted}), and
 * of answered turns only for those admission may have reserved for ({@link Admission#mayHaveReserved}).
 * A refusal does not say which answer model its request named, so every refusal of a later stage is
 * settled.
 * Every admitted request ends in exactly one of the two, which is what keeps reservations from
 * leaking.
 */
public final class Settlements {

    /** The stages after admission: a rejection of theirs ends an admitted request. */
    public static final Set<String> LATER_STAGES = Set.of("embed", "retrieve", "conversation");

    private final Admission admission;

    public Settlements(Admission admission) {
        this.admission = admission;
    }

    /**
     * The settlement of an answered turn, if its tenant's generations are counted and the turn may
     * have been generative: one that may not (an extractive turn) reserved nothing under any limits,
     * so its settlement would change nothing, and it would cost a record on the usage topic both ways
     * (written in a transaction, read back, looked up in the ledger) for every extractive answer of a
     * job that reads limits updates ({@link Admission#mayHaveReserved}).
     */
    public Optional<Settlement> of(AnsweredTurn turn) {
        var r = turn.request();
        if (!admission.budgeted(r.tenantId()) || !admission.mayHaveReserved(r)) {
            return Optional.empty();
        }
        ModelCall call = turn.call();
        long tokens = call.promptTokens() < 0 || call.completionTokens() < 0 ? -1
                : call.promptTokens() + call.completionTokens();
        return Optional.of(new Settlement(r.tenantId(), r.requestId(), r.position(), tokens, Settlement.ANSWERED));
    }

    /** The settlement of a request refused after admission, if its tenant's generations are counted. */
    public Optional<Settlement> of(Rejection rejection) {
        if (!LATER_STAGES.contains(rejection.stage()) || rejection.partition() < 0
                || !admission.budgeted(rejection.tenantId())) {
            return Optional.empty();
        }
        return Optional.of(new Settlement(rejection.tenantId(), rejection.requestId(),
                ChatRequest.position(rejection.partition(), rejection.offset()), 0, rejection.reason().name()));
    }
}
