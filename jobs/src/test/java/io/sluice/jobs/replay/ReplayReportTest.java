package io.sluice.jobs.replay;

import io.sluice.operators.audit.AuditRecord;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.StageTimings;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which replayed turns the report compares: those after the savepoint's position, and those before
 * it that the savepoint held (answered live after it), unless they precede {@code --from}.
 */
class ReplayReportTest {

    /** Turn {@code offset} of conversation c, answered with {@code answer}. */
    private static AnsweredTurn turn(long offset, String answer) {
        ChatRequest request = new ChatRequest("r" + offset, "acme", "c", "q" + offset, 3, 512, 1_000L + offset, 0,
                offset);
        return AuditRecord.link(new AnsweredTurn(request, "snap", "m@1", List.of(), "h", 1, 0, "extractive@1", answer,
                List.of(), ModelCall.local("extractive@1"), AuditLink.UNLINKED, new StageTimings(1, 0, 0, 0)), null);
    }

    private static AuditedTurn audited(AnsweredTurn live) {
        ChatRequest r = live.request();
        return new AuditedTurn(r.requestId(), r.conversationId(), r.tenantId(), r.partition(), r.offset(),
                r.eventTime(), AuditRecord.of(live).text(), live.audit().hash());
    }

    /** The live run answered offsets 4 (held by the savepoint, whose position is 5) and 5. */
    private static final AnsweredTurn HELD = turn(4, "four");
    private static final AnsweredTurn AFTER = turn(5, "five");
    private static final Map<String, AuditedTurn> TRAIL = Map.of(HELD.request().position(), audited(HELD),
            AFTER.request().position(), audited(AFTER));

    @Test
    void aTurnTheSavepointHeldIsComparedLikeTheOnesAfterIt() {
        var report = new ReplayReport(TRAIL, Set.of(AFTER.request().position()), t -> t.offset() < 5);
        assertThat(report.add(turn(4, "not four"))).isNotNull()
                .satisfies(d -> assertThat(d.stage()).isEqualTo(ReplayReport.Stage.ANSWER));
        assertThat(report.add(AFTER)).isNull();
        assertThat(report.identical()).isEqualTo(1);
        assertThat(report.divergences()).hasSize(1);
        assertThat(report.missing()).isEmpty();
    }

    @Test
    void aTurnBeforeTheComparedRangeOnlyRebuildsState() {
        var report = new ReplayReport(TRAIL, Set.of(AFTER.request().position()), t -> false);
        assertThat(report.add(turn(4, "not four"))).isNull();
        assertThat(report.add(AFTER)).isNull();
        assertThat(report.identical()).isEqualTo(1);
        assertThat(report.identicalToTheAuditTrail()).isTrue();
    }

    @Test
    void aTurnInRangeThatDidNotComeBackIsMissing() {
        var report = new ReplayReport(TRAIL, Set.of(AFTER.request().position()), t -> t.offset() < 5);
        report.add(HELD);
        assertThat(report.missing()).containsExactly("r5");
        assertThat(report.identicalToTheAuditTrail()).isFalse();
    }
}
