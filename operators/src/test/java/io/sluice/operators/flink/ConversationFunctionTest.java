package io.sluice.operators.flink;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RetrievedRequest;
import io.sluice.model.EmbeddingModels;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Operator harness tests: the conversation history survives snapshot and restore. */
class ConversationFunctionTest {

    private static KeyedOneInputStreamOperatorTestHarness<String, RetrievedRequest, AnsweredTurn> harness()
            throws Exception {
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new ConversationFunction(2, Duration.ofHours(1),
                        EmbeddingModels.BUNDLED_MINILM)),
                r -> r.request().conversationId(), Types.STRING);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        return harness;
    }

    private static StreamRecord<RetrievedRequest> turn(String requestId, String conversation, String message) {
        return turn(requestId, conversation, message, 1000L);
    }

    private static StreamRecord<RetrievedRequest> turn(String requestId, String conversation, String message, long eventTime) {
        ChatRequest request = new ChatRequest(requestId, "acme", conversation, message, 3, 512, eventTime, 0, 0L);
        return new StreamRecord<>(new RetrievedRequest(request, "snap-1", "minilm@1", List.of(
                new RetrievedChunk("doc#0", "doc", "Doc", "Savepoints restore the keyed state of a job. Index snapshots are immutable once written.", 0.03, 1, 1)),
                5L, 10L), 1000L);
    }

    private static List<AnsweredTurn> outputs(KeyedOneInputStreamOperatorTestHarness<String, RetrievedRequest, AnsweredTurn> h) {
        return h.extractOutputValues();
    }

    @Test
    void historyIsKeptAcrossSnapshotAndRestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            h.open();
            h.processElement(turn("r1", "c1", "How do savepoints restore state?"));
            h.processElement(turn("r2", "c1", "Are snapshots immutable?"));
            h.processElement(turn("x1", "c2", "Unrelated conversation"));
            assertThat(outputs(h)).extracting(AnsweredTurn::historyTurns).containsExactly(0, 1, 0);
            assertThat(outputs(h).get(0).answer()).contains("[1]");
            snapshot = h.snapshot(1L, 1L);
        }
        try (var h = harness()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(turn("r3", "c1", "And then?"));
            h.processElement(turn("x2", "c2", "Next"));
            // Bounded to 2 turns: c1 had r1, r2; c2 had x1.
            assertThat(outputs(h)).extracting(AnsweredTurn::historyTurns).containsExactly(2, 1);
            h.processElement(turn("r4", "c1", "Once more"));
            assertThat(outputs(h).get(2).historyTurns()).isEqualTo(2);
        }
    }

    @Test
    void historyExpiresByEventTimeNotByTheClock() throws Exception {
        long hour = Duration.ofHours(1).toMillis();
        try (var h = harness()) {
            h.open();
            h.processElement(turn("r1", "c1", "How do savepoints restore state?", 0L));
            h.processElement(turn("r2", "c1", "Still within the hour", hour));
            h.processElement(turn("r3", "c1", "A day later", hour + 24 * hour));
            h.processElement(turn("r4", "c1", "Right after", hour + 24 * hour + 1));
            assertThat(outputs(h)).extracting(AnsweredTurn::historyTurns).containsExactly(0, 1, 0, 1);
        }
    }

    @Test
    void aRepeatedRequestIdIsRejectedNotAnsweredTwice() throws Exception {
        try (var h = harness()) {
            h.open();
            h.processElement(turn("r1", "c1", "How do savepoints restore state?"));
            h.processElement(turn("r1", "c1", "How do savepoints restore state?"));
            assertThat(outputs(h)).hasSize(1);
            var rejected = h.getSideOutput(ConversationFunction.DUPLICATES);
            assertThat(rejected).singleElement()
                    .satisfies(r -> assertThat(r.getValue().reason()).isEqualTo(RejectReason.DUPLICATE_REQUEST));
        }
    }
}
