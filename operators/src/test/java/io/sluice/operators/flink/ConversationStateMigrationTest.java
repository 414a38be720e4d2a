package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModels;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.execution.SuppressRestartsException;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * State written by an earlier version of the conversation operator must restore in this one, or be
 * refused at start with a message that says what to do; never merged silently.
 *
 * <ul>
 *   <li>{@code conversation-state-v1[-rocksdb].snapshot}: history codec version 1, keys by
 *       conversationId alone (written with the heap backend and with RocksDB). Refused: such state
 *       cannot be split by tenant.
 *   <li>{@code conversation-state-tenant-keys[-rocksdb].snapshot}: history codec version 2, keys by
 *       tenant and conversation, the duplicate window in state, the history and the window each one
 *       value. Restores, and both move into entries of their own.
 * </ul>
 *
 * Before a state layout changes again, keep the state of the layout being replaced: run
 * {@code writeSnapshotOfTheCurrentVersion} with {@code -Dsluice.writeSnapshot=true
 * -Dsluice.snapshotName=NAME.snapshot} (and again with {@code -Dsluice.snapshotBackend=rocksdb} and a
 * {@code -rocksdb} name; an existing file is never overwritten), then add its restore test.
 */
class ConversationStateMigrationTest {

    private static final String V1 = "conversation-state-v1.snapshot";
    private static final String V1_ROCKSDB = "conversation-state-v1-rocksdb.snapshot";
    private static final String TENANT_KEYS = "conversation-state-tenant-keys.snapshot";
    private static final String TENANT_KEYS_ROCKSDB = "conversation-state-tenant-keys-rocksdb.snapshot";

    private static KeyedOneInputStreamOperatorTestHarness<String, RetrievedRequest, ResponseEvent> harness()
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(new ConversationOperatorFactory(
                ConversationOperator.Settings.extractive(8, Duration.ofDays(7), EmbeddingModels.BUNDLED_MINILM)),
                (RetrievedRequest r) -> r.request().conversationKey(), Types.STRING);
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
    @EnabledIfSystemProperty(named = "sluice.writeSnapshot", matches = "true", disabledReason = "writes the state"
            + " fixture of a new layout; run by hand with -Dsluice.writeSnapshot=true (see the class comment)")
    void writeSnapshotOfTheCurrentVersion() throws Exception {
        String name = System.getProperty("sluice.snapshotName");
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("Name the fixture: -Dsluice.snapshotName=NAME.snapshot");
        }
        Path target = Path.of("src/test/resources", name);
        if (java.nio.file.Files.exists(target)) {
            throw new IllegalStateException(target + " exists: fixtures of earlier versions are never overwritten");
        }
        try (var h = harness("rocksdb".equals(System.getProperty("sluice.snapshotBackend")))) {
            h.open();
            h.processElement(turn("v1-a", "c-1", "How do savepoints restore state?", 1_000L));
            h.processElement(turn("v1-b", "c-1", "Are index snapshots immutable?", 2_000L));
            h.processElement(turn("v1-c", "c-2", "What is restored from a savepoint?", 3_000L));
            OperatorSnapshotUtil.writeStateHandle(h.snapshot(1L, 1L), target.toString());
        }
    }

    private OperatorSubtaskState fixture(String name) throws Exception {
        return OperatorSnapshotUtil.readStateHandle(Path.of(getClass().getClassLoader().getResource(name).toURI())
                .toString());
    }

    /** Each backend's state keyed by conversationId alone is refused, with what to do. */
    @ParameterizedTest(name = "rocksDb={0}")
    @ValueSource(booleans = {false, true})
    void refusesStateKeyedByConversationAlone(boolean rocksDb) throws Exception {
        try (var h = harness(rocksDb)) {
            h.initializeState(fixture(rocksDb ? V1_ROCKSDB : V1));
            assertThatThrownBy(h::open)
                    .isInstanceOf(SuppressRestartsException.class)
                    .rootCause()
                    .hasMessageContaining("keys conversations by conversationId alone")
                    .hasMessageContaining("Start the job without this checkpoint or savepoint");
        }
    }

    /** Each backend restores the tenant-keyed state it wrote itself (checkpoints do not switch backends). */
    @ParameterizedTest(name = "rocksDb={0}")
    @ValueSource(booleans = {false, true})
    void restoresStateKeyedByTenantAndConversation(boolean rocksDb) throws Exception {
        try (var h = harness(rocksDb)) {
            h.initializeState(fixture(rocksDb ? TENANT_KEYS_ROCKSDB : TENANT_KEYS));
            h.open();
            h.processElement(turn("new-1", "c-1", "And what about savepoints?", 4_000L));
            h.processElement(turn("new-2", "c-2", "Tell me more about restoring.", 5_000L));
            h.processElement(turn("v1-a", "c-1", "How do savepoints restore state?", 6_000L));
            // c-1 had two turns and c-2 one; both are seen in context, and the chains continue.
            assertThat(answers(h)).extracting(AnsweredTurn::historyTurns).containsExactly(2, 1);
            assertThat(answers(h)).extracting(t -> t.audit().sequence()).containsExactly(3L, 2L);
            assertThat(answers(h).get(0).contextTokens()).isPositive();
            // A requestId answered before the restore is still known.
            assertThat(h.getSideOutput(Rejections.TAG)).hasSize(1);
            // The history moved into entries: the next turn sees both earlier turns and the new one.
            h.processElement(turn("new-3", "c-1", "One more about savepoints.", 7_000L));
            assertThat(answers(h).get(2).historyTurns()).isEqualTo(3);
            // Both conversations were seen, so nothing is left in the values of the earlier layout.
            var backend = ((org.apache.flink.streaming.api.operators.AbstractStreamOperator<?>) h.getOperator())
                    .getKeyedStateBackend();
            for (String state : List.of(ConversationState.HISTORY_STATE, ConversationState.RECENT_REQUESTS_STATE)) {
                try (var keys = backend.getKeys(state, org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
                    assertThat(keys).as(state).isEmpty();
                }
            }
        }
    }

    /** The duplicate window of the earlier layout moves too: an id no longer in the history is still a duplicate. */
    @ParameterizedTest(name = "rocksDb={0}")
    @ValueSource(booleans = {false, true})
    void restoredDuplicateWindowStillKnowsItsIds(boolean rocksDb) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new ConversationOperatorFactory(
                ConversationOperator.Settings.extractive(1, Duration.ofDays(7), EmbeddingModels.BUNDLED_MINILM)),
                (RetrievedRequest r) -> r.request().conversationKey(), Types.STRING);
        if (rocksDb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        try (h) {
            h.initializeState(fixture(rocksDb ? TENANT_KEYS_ROCKSDB : TENANT_KEYS));
            h.open();
            h.processElement(turn("new-1", "c-1", "And what about savepoints?", 4_000L));
            // The history keeps one turn now (new-1); v1-a, answered before the restore, is only in the window.
            h.processElement(turn("v1-a", "c-1", "How do savepoints restore state?", 5_000L));
            assertThat(answers(h)).hasSize(1);
            assertThat(h.getSideOutput(Rejections.TAG)).singleElement()
                    .satisfies(r -> assertThat(r.getValue().reason()).isEqualTo(RejectReason.DUPLICATE_REQUEST));
        }
    }
}
