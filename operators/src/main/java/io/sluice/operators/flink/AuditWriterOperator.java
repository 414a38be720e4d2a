package io.sluice.operators.flink;

import io.sluice.operators.audit.AuditBacklog;
import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditWriter;
import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;
import io.sluice.schemas.AnsweredTurn;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The {@code audit} stage: writes each answered turn's row to PostgreSQL once the checkpoint that
 * covers it has completed, so the audit trail holds exactly the turns of completed checkpoints.
 * {@link AuditBacklog} decides which rows wait and when to try; {@link AuditWriter} runs the JDBC;
 * this operator keeps the backlog in operator state, runs the writer on a thread of its own and
 * registers the metrics.
 *
 * <p>Nothing not yet written is lost at any point: rows of the current interval are re-derived from
 * the replayed source, the others come back from the checkpoint and are written again, and the
 * idempotent insert keeps one row per turn.
 *
 * <p>The JDBC work never runs on the task thread, which this operator shares with the conversation
 * stage (they are chained): a PostgreSQL that hangs holds up only the writer's thread until the
 * socket timeout, while answers flow. Results come back as mailbox actions. A database that is
 * unavailable fills the backlog (gauges {@code sluice.audit.backlog_rows} and {@code backlog_bytes})
 * and is tried again with backoff; rows PostgreSQL refuses for their data are quarantined
 * ({@code sluice.audit.quarantined_rows}) and the rest are written. Beyond its bounds the backlog
 * fails the job with the reason rather than grow without limit; the restarts that follow restore it
 * from the last checkpoint until the database is back.
 */
public final class AuditWriterOperator extends AbstractStreamOperator<Void>
        implements OneInputStreamOperator<AnsweredTurn, Void> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AuditWriterOperator.class);

    static final String PENDING_STATE = "audit-pending";

    /** The stage's name: its metrics' and its spans'. */
    public static final String STAGE = "audit";

    /** Rows written in one transaction at most. */
    static final int MAX_BATCH_ROWS = 500;

    /** What the operator is configured with. */
    public record Settings(AuditConnection target, AuditWriter.SchemaMode schemaMode, int maxBacklogRows,
            long maxBacklogBytes) implements Serializable {

        public Settings {
            if (maxBacklogRows < 1 || maxBacklogBytes < 1) {
                throw new IllegalArgumentException("max backlog rows and bytes must be positive");
            }
        }
    }

    private final Settings settings;
    private final transient MailboxExecutor mailbox;

    private transient AuditBacklog backlog;
    private transient ListState<AnsweredTurn> state;
    private transient ExecutorService writerThread;
    private transient AuditWriter writer;
    private transient boolean closed;
    private transient Counter committedRows;
    private transient Counter commitFailures;
    private transient Counter quarantinedRows;
    private transient Tracing tracing;
    /** When each row waiting in the backlog arrived (epoch micros), by position, for its span. */
    private transient Map<String, Long> arrived;

    AuditWriterOperator(StreamOperatorParameters<Void> parameters, Settings settings, MailboxExecutor mailbox) {
        super(parameters);
        this.settings = settings;
        this.mailbox = mailbox;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        backlog = new AuditBacklog(settings.maxBacklogRows(), settings.maxBacklogBytes(),
                () -> getProcessingTimeService().getCurrentProcessingTime());
        state = context.getOperatorStateStore().getListState(new ListStateDescriptor<>(PENDING_STATE, AnsweredTurn.TYPE));
        backlog.restore(state.get());
    }

    @Override
    public void open() throws Exception {
        super.open();
        var group = getMetricGroup().addGroup("sluice").addGroup(STAGE);
        group.gauge("backlog_rows", this::backlogRows);
        group.gauge("backlog_bytes", () -> backlog.bytes());
        committedRows = group.counter("committed_rows");
        commitFailures = group.counter("commit_failures");
        quarantinedRows = group.counter("quarantined_rows");
        String thread = "sluice-audit-writer-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        writerThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, thread);
            t.setDaemon(true);
            return t;
        });
        writer = new AuditWriter(settings.target(), settings.schemaMode());
        tracing = Tracing.open(TracingOptions.settings(getExecutionConfig().getGlobalJobParameters().toMap()));
        arrived = new HashMap<>();
        if (backlog.readyRows() > 0) {
            LOG.info("Restored {} audit rows of completed checkpoints; writing them", backlog.readyRows());
        }
        writeNext();
    }

    /** Rows of completed checkpoints not yet in PostgreSQL. */
    int backlogRows() {
        return backlog.readyRows();
    }

    @Override
    public void processElement(StreamRecord<AnsweredTurn> element) {
        backlog.add(element.getValue());
        if (tracing.enabled()) {
            arrived.put(element.getValue().request().position(), Tracing.nowMicros());
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        backlog.checkpoint(context.getCheckpointId());
        state.update(backlog.unwritten());
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        backlog.checkpointCompleted(checkpointId);
        checkBound();
        writeNext();
    }

    private void checkBound() {
        String over = backlog.overBound();
        if (over != null) {
            throw new IllegalStateException("Failing so that the job restarts from its last checkpoint, which keeps "
                    + "every row, instead of growing without bound: " + over + "; PostgreSQL at "
                    + settings.target().jdbcUrl() + " has been unavailable too long.");
        }
    }

    /** Starts writing the next batch on the writer's thread, unless one is under way or waiting. */
    private void writeNext() {
        List<AnsweredTurn> batch = backlog.nextBatch(MAX_BATCH_ROWS);
        if (batch.isEmpty() || closed) {
            return;
        }
        CompletableFuture.supplyAsync(() -> {
            try {
                return writer.write(batch);
            } catch (SQLException e) {
                throw new CompletionException(e);
            }
        }, writerThread).whenComplete((outcome, error) -> toMailbox(() -> settle(batch, outcome, error)));
    }

    private void settle(List<AnsweredTurn> batch, AuditWriter.Outcome outcome, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof SQLException e) {
            commitFailures.inc();
            long wait = backlog.failed();
            LOG.warn("Audit trail unavailable ({}); {} rows wait in state, next try in {} ms",
                    AuditWriter.describe(e), backlog.rows(), wait);
            getProcessingTimeService().registerTimer(backlog.retryAtMillis(), time -> writeNext());
            return;
        }
        if (cause != null) {
            // Not an outage (this job cannot write to the schema): fail, with the reason.
            throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
        }
        if (backlog.backingOff()) {
            LOG.info("Audit trail reachable again");
        }
        backlog.written();
        if (tracing.enabled()) {
            // From the row's arrival to its commit: waiting for the checkpoint is most of it.
            for (AnsweredTurn turn : batch) {
                Long since = arrived.remove(turn.request().position());
                tracing.start(STAGE, turn.request(), since == null ? Tracing.nowMicros() : since).end();
            }
        }
        committedRows.inc(outcome.inserted());
        quarantinedRows.inc(outcome.quarantined().size());
        writeNext();
    }

    /** Runs {@code action} on the task thread; after close, results are dropped (the rows are in state). */
    private void toMailbox(org.apache.flink.util.function.ThrowingRunnable<? extends Exception> action) {
        if (closed) {
            return;
        }
        try {
            mailbox.execute(action, "audit write");
        } catch (RejectedExecutionException e) {
            // The task is shutting down; the rows are in the last checkpoint.
        }
    }

    @Override
    public void close() throws Exception {
        closed = true;
        if (writer != null) {
            writer.abort(); // a hung database must not hold up cancellation
        }
        if (writerThread != null) {
            writerThread.shutdownNow();
        }
        if (tracing != null) {
            tracing.close();
        }
        super.close();
    }
}
