package io.sluice.operators.conversation;

import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.RetrievedRequest;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TurnQueueTest {

    private final TurnQueue queue = new TurnQueue(2);

    private static ChatRequest request(String id, long time) {
        return new ChatRequest(id, "acme", "c1", "q", 3, 512, time, 0, time);
    }

    private static RetrievedRequest retrieved(String id) {
        return new RetrievedRequest(request(id, 0L), "s", "m", List.of(), 0L, 0L);
    }

    @Test
    void answersWhenNothingWaitsAndQueuesBehindTheTurnBeingAnswered() {
        assertThat(queue.admit(request("r1", 0), List.of(), ConversationHistory.EMPTY, false).decision())
                .isEqualTo(TurnQueue.Decision.ANSWER);
        List<RetrievedRequest> pending = new ArrayList<>(List.of(retrieved("r1")));
        assertThat(queue.admit(request("r2", 1), pending, ConversationHistory.EMPTY, false).decision())
                .isEqualTo(TurnQueue.Decision.WAIT);
        pending.add(retrieved("r2"));
        pending.add(retrieved("r3"));
        TurnQueue.Admission busy = queue.admit(request("r4", 2), pending, ConversationHistory.EMPTY, false);
        assertThat(busy.decision()).isEqualTo(TurnQueue.Decision.BUSY);
        assertThat(busy.detail()).contains("2 turns waiting");
        assertThat(TurnQueue.afterHead(pending)).extracting(r -> r.request().requestId()).containsExactly("r2", "r3");
        assertThat(TurnQueue.afterHead(List.of())).isEmpty();
    }

    @Test
    void aDuplicateIsFoundWaitingInTheHistoryOrInTheWindow() {
        List<RetrievedRequest> pending = List.of(retrieved("r1"));
        assertThat(queue.admit(request("r1", 5), pending, ConversationHistory.EMPTY, false).decision())
                .isEqualTo(TurnQueue.Decision.DUPLICATE);
        ConversationHistory history = ConversationHistory.EMPTY.append(new ConversationTurn("h1", 0L, "q", "a"), 8);
        assertThat(queue.admit(request("h1", 5), List.of(), history, false).decision())
                .isEqualTo(TurnQueue.Decision.DUPLICATE);
        // The window's answer counts as well (DuplicateWindowTest: what it holds).
        assertThat(queue.admit(request("w1", 5), List.of(), ConversationHistory.EMPTY, true).decision())
                .isEqualTo(TurnQueue.Decision.DUPLICATE);
    }
}
