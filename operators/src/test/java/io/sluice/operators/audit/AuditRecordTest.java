package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RoutingDecision;
import io.sluice.schemas.StageTimings;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AuditRecordTest {

    private static AnsweredTurn turn(String id, String answer, long embedMicros) {
        ChatRequest request = new ChatRequest(id, "acme", "c", "q", 3, 512, 1L, 0, 0L);
        return new AnsweredTurn(request, "snap", "m@1", List.of(), "h", 1, 0, "extractive@1", answer, List.of(),
                ModelCall.local("extractive@1"), AuditLink.UNLINKED, new StageTimings(embedMicros, 0, 0, 0));
    }

    @Test
    void aTurnCutToItsRowKeepsItsRecordAndDropsTheSourcesTexts() throws Exception {
        ConversationHistory brought = new ConversationHistory(List.of(
                new ConversationTurn("", 0, "An earlier question? ".repeat(50), "An earlier answer. ".repeat(100))));
        ChatRequest request = new ChatRequest("r1", "acme", ChatRequest.clientConversationId(0, 7), "q", 3, 512, 1L,
                0, 7L, "extractive", 0, brought);
        List<RetrievedChunk> chunks = List.of(
                new RetrievedChunk("d1#0", "d1", "A title", "A source sentence. ".repeat(100), 0.5, 1, 2, 400),
                new RetrievedChunk("d2#3", "d2", null, "Another source. ".repeat(100), 0.25, 0, 1, 300));
        AnsweredTurn whole = AuditRecord.link(new AnsweredTurn(request, "snap", "m@1", chunks, "h", 700, 1,
                "extractive@1", "An answer [1].", List.of(new Citation(1, "d1#0", "d1", "A title")),
                ModelCall.local("extractive@1"), AuditLink.UNLINKED, new StageTimings(1, 2, 3, 4)), null);

        AnsweredTurn row = AuditRecord.rowOnly(whole);

        assertThat(AuditRecord.of(row).text()).isEqualTo(AuditRecord.of(whole).text());
        assertThat(row.audit()).isEqualTo(whole.audit());
        assertThat(row.retrieved()).extracting(RetrievedChunk::chunkId).containsExactly("d1#0", "d2#3");
        assertThat(row.retrieved()).extracting(RetrievedChunk::text).containsOnly("");
        assertThat(row.request().historyFromClient()).isTrue();
        assertThat(row.request().clientHistory().turns()).isEmpty();
        int wholeBytes = stateBytes(whole);
        int rowBytes = stateBytes(row);
        System.out.printf("a turn in the audit writer's state: %d bytes whole, %d as its row%n", wholeBytes, rowBytes);
        assertThat(rowBytes).isLessThan(wholeBytes / 5);
    }

    private static int stateBytes(AnsweredTurn turn) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(1024);
        AnsweredTurn.TYPE.createSerializer(new SerializerConfigImpl()).serialize(turn, out);
        return out.length();
    }

    @Test
    void linksChainEachTurnToTheOneBefore() {
        AnsweredTurn first = AuditRecord.link(turn("r1", "a", 1), null);
        AnsweredTurn second = AuditRecord.link(turn("r2", "b", 1), first.audit());
        assertThat(first.audit().sequence()).isEqualTo(1);
        assertThat(first.audit().previousHash()).isEqualTo(AuditLink.GENESIS);
        assertThat(second.audit().sequence()).isEqualTo(2);
        assertThat(second.audit().previousHash()).isEqualTo(first.audit().hash());
        assertThat(AuditRecord.of(second).hash()).isEqualTo(second.audit().hash()).hasSize(64);
        assertThat(AuditRecord.of(second).text()).startsWith("{\"chainSeq\":2,\"prevHash\":\"" + first.audit().hash());
    }

    @Test
    void theHashCoversContentAndChainButNotTimings() {
        String hash = AuditRecord.link(turn("r1", "a", 1), null).audit().hash();
        assertThat(AuditRecord.link(turn("r1", "a", 999), null).audit().hash()).isEqualTo(hash);
        assertThat(AuditRecord.link(turn("r1", "a!", 1), null).audit().hash()).isNotEqualTo(hash);
        AuditLink elsewhere = new AuditLink(4, "f".repeat(64), "x");
        assertThat(AuditRecord.link(turn("r1", "a", 1), elsewhere).audit().hash()).isNotEqualTo(hash);
    }

    @Test
    void theApiKeyIdIsRecordedOnlyWhenTheRequestHadOne() {
        AnsweredTurn plain = turn("r1", "a", 1);
        ChatRequest r = plain.request();
        ChatRequest keyed = new ChatRequest(r.requestId(), r.tenantId(), r.conversationId(), r.message(), r.topK(),
                r.contextTokens(), r.eventTime(), r.partition(), r.offset(), r.answerModel(), r.replyPartition(),
                r.clientHistory(), r.redacted(), "0123456789ab");
        AnsweredTurn withKey = new AnsweredTurn(keyed, "snap", "m@1", List.of(), "h", 1, 0, "extractive@1", "a",
                List.of(), ModelCall.local("extractive@1"), AuditLink.UNLINKED, new StageTimings(1, 0, 0, 0));
        assertThat(AuditRecord.of(plain, 1, AuditLink.GENESIS).text()).doesNotContain("apiKeyId");
        assertThat(AuditRecord.parse(AuditRecord.of(withKey, 1, AuditLink.GENESIS).text()).path("apiKeyId").asText())
                .isEqualTo("0123456789ab");
    }

    @Test
    void routingIsRecordedUnderAPolicyOrWhenAProfileWasPassedOver() {
        AnsweredTurn plain = turn("r1", "a", 1);
        assertThat(AuditRecord.of(plain, 1, AuditLink.GENESIS).text()).doesNotContain("routing");
        RoutingDecision routed = new RoutingDecision(2, "default", "lookup", "extractive", 0,
                List.of(new RoutingDecision.Skip("large", RoutingDecision.Skip.BREAKER_OPEN)));
        AnsweredTurn withRouting = new AnsweredTurn(plain.request(), "snap", "m@1", List.of(), "h", 1, 0,
                "extractive@1", "a", List.of(), ModelCall.local("extractive@1"), AuditLink.UNLINKED,
                new StageTimings(1, 0, 0, 0), plain.grounding(), null, null, null, routed);
        var json = AuditRecord.parse(AuditRecord.of(withRouting, 1, AuditLink.GENESIS).text()).path("routing");
        assertThat(json.path("policyVersion").asInt()).isEqualTo(2);
        assertThat(json.path("profile").asText()).isEqualTo("extractive");
        assertThat(json.path("skipped").get(0).path("reason").asText()).isEqualTo("breaker-open");
        assertThat(AuditRecord.of(withRouting, 1, AuditLink.GENESIS).hash())
                .isNotEqualTo(AuditRecord.of(plain, 1, AuditLink.GENESIS).hash());
    }
}
