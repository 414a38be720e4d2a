package io.sluice.operators.admission;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.batch.QuestionEmbedder;
import io.sluice.operators.flink.ConversationOperator;
import io.sluice.operators.flink.RetrieveFunction;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.Settlement;
import io.sluice.schemas.StageTimings;
import io.sluice.schemas.tenants.Limits;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

class SettlementsTest {

    private final Settlements settlements = new Settlements(new Admission(new TenantRegistry(List.of(
            Tenant.withDefaults("acme").withLimits(Limits.NONE.withMaxInFlight(3)), Tenant.withDefaults("open"))),
            AdmissionTest.MODELS, true));

    private static ChatRequest request(String tenant) {
        return request(tenant, "remote");
    }

    private static ChatRequest request(String tenant, String answerModel) {
        return new ChatRequest("r-1", tenant, "c-1", "q", 5, 1024, 1L, 2, 40L, answerModel);
    }

    private static AnsweredTurn answered(String tenant, long prompt, long completion) {
        return answered(request(tenant), prompt, completion);
    }

    private static AnsweredTurn answered(ChatRequest request, long prompt, long completion) {
        return new AnsweredTurn(request, "snap", "m@1", List.of(), "h", 1, 0, "remote@1", "a", List.of(),
                new ModelCall("m", 0, 1, 64, 1L, prompt, completion, "stop", 1), AuditLink.UNLINKED,
                new StageTimings(1, 1, 1, 1));
    }

    @Test
    void anAnsweredTurnSpendsWhatItsModelReported() {
        assertThat(settlements.of(answered("acme", 300, 50))).contains(
                new Settlement("acme", "r-1", "2:40", 350, Settlement.ANSWERED));
        assertThat(settlements.of(answered("acme", -1, 50)).orElseThrow().tokens()).as("unknown use").isEqualTo(-1);
        assertThat(settlements.of(answered("open", 300, 50))).as("a tenant whose generations are not counted")
                .isEmpty();
    }

    @Test
    void anExtractiveTurnIsNotSettledForItReservedNothing() throws Exception {
        ChatRequest extractive = request("acme", AnswerModels.EXTRACTIVE);
        Admission admission = new Admission(new TenantRegistry(List.of(Tenant.withDefaults("acme").withLimits(
                Limits.NONE.withMaxInFlight(1)))), AdmissionTest.MODELS, true);
        MapAdmissionState state = new MapAdmissionState();
        assertThat(admission.admit(extractive, state)).isNull();
        assertThat(state.reservation(extractive.position())).as("what the settlement would release").isNull();
        assertThat(settlements.of(answered(extractive, 0, 0))).isEmpty();
        Settlements live = new Settlements(new Admission(new TenantRegistry(List.of(Tenant.withDefaults("open"))),
                AdmissionTest.MODELS, true, true));
        assertThat(live.of(answered(request("open", AnswerModels.EXTRACTIVE), 0, 0))).isEmpty();
        // A routing policy directory is read again while the job runs: a version read late could make a
        // turn generative for admission and not here, so every answered turn is settled then.
        AnswerModels.Versions versions = new AnswerModels.Versions() {
            @Override
            public AnswerModels at(long eventTime) {
                return AdmissionTest.MODELS;
            }

            @Override
            public List<AnswerModels> known() {
                return List.of(AdmissionTest.MODELS);
            }

            @Override
            public AnswerModels.Versions map(java.util.function.UnaryOperator<AnswerModels> f) {
                return this;
            }
        };
        Settlements policies = new Settlements(new Admission(new TenantRegistry(List.of(Tenant.withDefaults("open"))),
                AdmissionTest.MODELS.withVersions(versions), true, true));
        assertThat(policies.of(answered(request("open", AnswerModels.EXTRACTIVE), 0, 0))).isPresent();
        // A refusal does not name its answer model: settled all the same, which releases nothing.
        assertThat(live.of(Rejection.of("retrieve", RejectReason.STAGE_FAILED, "x",
                request("open", AnswerModels.EXTRACTIVE)))).isPresent();
    }

    @Test
    void aRequestRefusedAfterAdmissionSpendsNothing() {
        Rejection failed = Rejection.of("conversation", RejectReason.MODEL_FAILED, "503", request("acme"));
        assertThat(settlements.of(failed)).contains(new Settlement("acme", "r-1", "2:40", 0, "MODEL_FAILED"));
        assertThat(settlements.of(Rejection.of("admission", RejectReason.BUDGET_EXHAUSTED, "no", request("acme"))))
                .as("refused by admission itself: it reserved nothing").isEmpty();
        assertThat(settlements.of(Rejection.of("validate", RejectReason.INVALID_FIELD, "no", request("acme"))))
                .isEmpty();
        assertThat(Settlements.LATER_STAGES).isEqualTo(Set.of(QuestionEmbedder.STAGE, RetrieveFunction.STAGE,
                ConversationOperator.STAGE));
    }

    @Test
    void whileLimitsMayChangeEveryTenantsTurnsAreSettled() {
        // Any tenant may gain a budget from an update: its reservations must come back to be released.
        Settlements live = new Settlements(new Admission(new TenantRegistry(List.of(Tenant.withDefaults("open"))),
                AdmissionTest.MODELS, true, true));
        assertThat(live.of(answered("open", 300, 50))).contains(
                new Settlement("open", "r-1", "2:40", 350, Settlement.ANSWERED));
        assertThat(live.of(Rejection.of("conversation", RejectReason.MODEL_FAILED, "503", request("open"))))
                .contains(new Settlement("open", "r-1", "2:40", 0, "MODEL_FAILED"));
    }
}
