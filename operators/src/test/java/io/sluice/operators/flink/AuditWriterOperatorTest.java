package io.sluice.operators.flink;

import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditRecord;
import io.sluice.operators.audit.AuditWriter;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.StageTimings;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The audit writer with no database to reach: rows wait in state, within the bound. */
class AuditWriterOperatorTest {

    /** A JDBC URL on a loopback port that nothing listens on. */
    private static AuditConnection unreachable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        return new AuditConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "nobody", null,
                Duration.ofSeconds(5));
    }

    private static StreamRecord<AnsweredTurn> turn(String id) {
        ChatRequest request = new ChatRequest(id, "acme", "c-" + id, "q", 3, 512, 1L, 0, 0L);
        AnsweredTurn turn = new AnsweredTurn(request, "snap", "m@1", List.of(), "h", 1, 0, "extractive@1", "a",
                List.of(), ModelCall.local("extractive@1"), AuditLink.UNLINKED, new StageTimings(0, 0, 0, 0));
        return new StreamRecord<>(AuditRecord.link(turn, null));
    }

    private static OneInputStreamOperatorTestHarness<AnsweredTurn, Void> harness(AuditConnection db, int maxRows)
            throws Exception {
        var h = new OneInputStreamOperatorTestHarness<>(new AuditWriterOperatorFactory(
                new AuditWriterOperator.Settings(db, AuditWriter.SchemaMode.MIGRATE, maxRows, 1L << 30)),
                AnsweredTurn.TYPE.createSerializer(new org.apache.flink.api.common.serialization.SerializerConfigImpl()));
        h.setProcessingTime(0);
        return h;
    }

    /** Runs mailbox actions until the write under way has come back (it fails: nothing listens). */
    private static void awaitWriteResult(OneInputStreamOperatorTestHarness<AnsweredTurn, Void> h) throws Exception {
        TaskMailbox mailbox = h.getTaskMailbox();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY);
            if (mail.isPresent()) {
                mail.get().run();
                return;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the write did not come back");
    }

    @Test
    void rowsOfCompletedCheckpointsWaitInStateAndSurviveARestore() throws Exception {
        AuditConnection db = unreachable();
        OperatorSubtaskState snapshot;
        try (var h = harness(db, 10)) {
            h.open();
            h.processElement(turn("r1"));
            h.processElement(turn("r2"));
            h.snapshot(1L, 1L);
            h.notifyOfCompletedCheckpoint(1L); // the write runs on the writer's thread and fails
            awaitWriteResult(h);
            assertThat(((AuditWriterOperator) h.getOperator()).backlogRows()).isEqualTo(2);
            h.processElement(turn("r3"));
            snapshot = h.snapshot(2L, 2L);
        }
        try (var h = harness(db, 10)) {
            h.initializeState(snapshot);
            h.open(); // tries again, fails again, keeps all three
            awaitWriteResult(h);
            // r3 was snapshotted with checkpoint 2, so restoring from it means checkpoint 2 completed.
            assertThat(((AuditWriterOperator) h.getOperator()).backlogRows()).isEqualTo(3);
        }
    }

    @Test
    void failsWithTheReasonBeyondTheBacklogBound() throws Exception {
        try (var h = harness(unreachable(), 2)) {
            h.open();
            for (String id : new String[] {"r1", "r2", "r3"}) {
                h.processElement(turn(id));
            }
            h.snapshot(1L, 1L);
            assertThatThrownBy(() -> h.notifyOfCompletedCheckpoint(1L))
                    .hasMessageContaining("audit backlog holds 3 rows, more than sluice.audit.max-backlog-rows (2)");
        }
    }
}
