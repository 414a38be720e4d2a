package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.StageTimings;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The backlog's stages, batches, backoff and bounds, on a clock the test moves. */
class AuditBacklogTest {

    private final AtomicLong clock = new AtomicLong(0);

    private static AnsweredTurn row(String id, String message) {
        ChatRequest request = new ChatRequest(id, "acme", "c", message, 3, 512, 1L, 0, 0L);
        return new AnsweredTurn(request, "snap", "m@1", List.of(), "h", 1, 0, "extractive@1", "a", List.of(),
                ModelCall.local("extractive@1"), AuditLink.UNLINKED, new StageTimings(0, 0, 0, 0));
    }

    private static List<String> ids(List<AnsweredTurn> rows) {
        return rows.stream().map(r -> r.request().requestId()).toList();
    }

    @Test
    void rowsAreWrittenOnlyOnceTheirCheckpointCompleted() {
        AuditBacklog backlog = new AuditBacklog(100, 1L << 20, clock::get);
        backlog.add(row("r1", "q"));
        backlog.checkpoint(1);
        backlog.add(row("r2", "q"));
        backlog.checkpoint(2);
        backlog.add(row("r3", "q"));
        assertThat(backlog.nextBatch(10)).isEmpty();
        // A checkpoint keeps what is awaiting and ready; the current interval is replayed from the source.
        assertThat(ids(backlog.unwritten())).containsExactly("r1", "r2");
        backlog.checkpointCompleted(1);
        assertThat(ids(backlog.nextBatch(10))).containsExactly("r1");
        backlog.written();
        backlog.checkpointCompleted(2); // and anything before it
        assertThat(ids(backlog.nextBatch(10))).containsExactly("r2");
        assertThat(backlog.rows()).isEqualTo(2); // r2 in flight, r3 current
    }

    @Test
    void rowsAreKeptWithoutTheirSourcesTexts() {
        AuditBacklog backlog = new AuditBacklog(100, 1L << 20, clock::get);
        List<RetrievedChunk> sources = List.of(new RetrievedChunk("d#0", "d", "T", "A sentence. ".repeat(500), 1, 1, 1));
        AnsweredTurn current = row("r1", "q");
        current = current.withInputs(current.request(), sources);
        AnsweredTurn restored = row("r2", "q");
        restored = restored.withInputs(restored.request(), sources); // a checkpoint of a build that kept them
        backlog.restore(List.of(restored));
        backlog.add(current);
        backlog.checkpoint(1);

        assertThat(backlog.unwritten()).flatExtracting(AnsweredTurn::retrieved).extracting(RetrievedChunk::text)
                .containsExactly("", "");
        assertThat(backlog.bytes()).isLessThan(AuditBacklog.estimatedBytes(current));
    }

    @Test
    void aFailedBatchStaysAndTheNextTryWaitsLongerEachTime() {
        AuditBacklog backlog = new AuditBacklog(100, 1L << 20, clock::get);
        backlog.restore(List.of(row("r1", "q"), row("r2", "q"), row("r3", "q")));
        assertThat(ids(backlog.nextBatch(2))).containsExactly("r1", "r2");
        assertThat(backlog.nextBatch(2)).isEmpty(); // one batch at a time
        assertThat(backlog.failed()).isEqualTo(1_000);
        assertThat(backlog.unwritten()).hasSize(3);
        assertThat(backlog.nextBatch(2)).isEmpty();
        clock.set(1_000);
        assertThat(ids(backlog.nextBatch(2))).containsExactly("r1", "r2");
        assertThat(backlog.failed()).isEqualTo(2_000);
        for (int i = 0; i < 10; i++) {
            clock.set(backlog.retryAtMillis());
            backlog.nextBatch(2);
            backlog.failed();
        }
        assertThat(backlog.retryAtMillis() - clock.get()).isEqualTo(AuditBacklog.MAX_BACKOFF_MILLIS);
        clock.set(backlog.retryAtMillis());
        assertThat(backlog.nextBatch(5)).hasSize(3);
        backlog.written();
        assertThat(backlog.backingOff()).isFalse();
        assertThat(backlog.rows()).isZero();
        assertThat(backlog.bytes()).isZero();
    }

    @Test
    void theBoundCountsRowsAndBytes() {
        AuditBacklog byRows = new AuditBacklog(2, 1L << 20, clock::get);
        byRows.add(row("r1", "q"));
        byRows.add(row("r2", "q"));
        assertThat(byRows.overBound()).isNull();
        byRows.add(row("r3", "q"));
        assertThat(byRows.overBound()).contains("3 rows, more than sluice.audit.max-backlog-rows (2)");

        AuditBacklog byBytes = new AuditBacklog(100, 10_000, clock::get);
        byBytes.add(row("r1", "x".repeat(5_000)));
        assertThat(byBytes.overBound()).isNull();
        byBytes.add(row("r2", "x".repeat(5_000)));
        assertThat(byBytes.overBound()).contains("more than sluice.audit.max-backlog-bytes (10000)");
    }
}
