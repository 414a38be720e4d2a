package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModels;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OperatorSnapshotUtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * State written by an earlier version of the conversation operator must restore in this one.
 * {@code conversation-state-v1.snapshot} was written by the operator whose history codec was at
 * version 1 (turns without token counts), with the heap backend, and
 * {@code conversation-state-v1-rocksdb.snapshot} with RocksDB; this build's codec is at version 2.
 * Before bumping a codec version again, keep the state of the version being replaced: run this test
 * with {@code -Dsluice.writeSnapshot=true -Dsluice.snapshotName=conversation-state-v2.snapshot} (and
 * again with {@code -Dsluice.snapshotBackend=rocksdb} and a {@code -rocksdb} name), then add its
 * restore test.
 */
class ConversationStateMigrationTest {

    private static final String V1 = "conversation-state-v1.snapshot";
    private static final String V1_ROCKSDB = "conversation-state-v1-rocksdb.snapshot";

    private static KeyedOneInputStreamOperatorTestHarness<String, RetrievedRequest, ResponseEvent> harness()
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new ConversationOperatorFactory(
                ConversationOperator.Settings.extractive(8, Duration.ofDays(7), EmbeddingModels.BUNDLED_MINILM)),
                (RetrievedRequest r) -> r.request().conversationId(), Types.STRING);
    }

    private static List<AnsweredTurn> answers(KeyedOneInputStreamOperatorTestHarness<String, RetrievedRequest, ResponseEvent> h) {
        return h.extractOutputValues().stream().map(ResponseEvent::answer).toList();
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, RetrievedRequest, ResponseEvent> harness(boolean rocksDb)
            throws Exception {
        var h = harness();
        if (rocksDb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        return h;
    }

    private static StreamRecord<RetrievedRequest> turn(String requestId, String conversation, String message, long time) {
        ChatRequest request = new ChatRequest(requestId, "acme", conversation, message, 3, 1024, time, 0, 0L);
        return new StreamRecord<>(new RetrievedRequest(request, "snap-1", "minilm@1", List.of(
                new RetrievedChunk("doc#0", "doc", "Doc", "Savepoints restore the keyed state of a job. "
                        + "Index snapshots are immutable once written.", 0.03, 1, 1)), 5L, 10L), time);
    }

    @Test
    @EnabledIfSystemProperty(named = "sluice.writeSnapshot", matches = "true")
    void writeSnapshotOfTheCurrentVersion() throws Exception {
        try (var h = harness("rocksdb".equals(System.getProperty("sluice.snapshotBackend")))) {
            h.open();
            h.processElement(turn("v1-a", "c-1", "How do savepoints restore state?", 1_000L));
            h.processElement(turn("v1-b", "c-1", "Are index snapshots immutable?", 2_000L));
            h.processElement(turn("v1-c", "c-2", "What is restored from a savepoint?", 3_000L));
            OperatorSnapshotUtil.writeStateHandle(h.snapshot(1L, 1L),
                    Path.of("src/test/resources", System.getProperty("sluice.snapshotName", V1)).toString());
        }
    }

    /** Each backend restores the version-1 state it wrote itself (checkpoints do not switch backends). */
    @ParameterizedTest(name = "rocksDb={0}")
    @ValueSource(booleans = {false, true})
    void restoresHistoryWrittenByVersion1(boolean rocksDb) throws Exception {
        OperatorSubtaskState v1 = OperatorSnapshotUtil.readStateHandle(Path.of(getClass().getClassLoader()
                .getResource(rocksDb ? V1_ROCKSDB : V1).toURI()).toString());
        try (var h = harness(rocksDb)) {
            h.initializeState(v1);
            h.open();
            h.processElement(turn("new-1", "c-1", "And what about savepoints?", 4_000L));
            h.processElement(turn("new-2", "c-2", "Tell me more about restoring.", 5_000L));
            h.processElement(turn("v1-a", "c-1", "How do savepoints restore state?", 6_000L));
            // c-1 had two turns and c-2 one before the upgrade; both are seen in context.
            assertThat(answers(h)).extracting(AnsweredTurn::historyTurns).containsExactly(2, 1);
            assertThat(answers(h).get(0).contextTokens()).isPositive();
            // A requestId answered before the upgrade is still known.
            assertThat(h.getSideOutput(ConversationOperator.UNANSWERED)).hasSize(1);

            // State written now is version 2 and restores as such.
            OperatorSubtaskState v2 = h.snapshot(2L, 2L);
            try (var again = harness(rocksDb)) {
                again.initializeState(v2);
                again.open();
                again.processElement(turn("new-3", "c-1", "One more question about savepoints.", 7_000L));
                assertThat(answers(again)).extracting(AnsweredTurn::historyTurns).containsExactly(3);
            }
        }
    }
}
