package io.sluice.operators.flink;

import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditMigrations;
import io.sluice.operators.audit.AuditStore;
import io.sluice.schemas.AnsweredTurn;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code audit} stage: writes each answered turn's row to PostgreSQL once the checkpoint that
 * covers it has completed, so the audit trail holds exactly the turns of completed checkpoints.
 *
 * <p>Rows pass through three stages: {@code current} (since the last barrier), {@code awaiting}
 * (snapshotted with a checkpoint that has not completed yet) and {@code backlog} (their checkpoint
 * completed; to be inserted). Everything not yet inserted is in operator state, so a failure at
 * any point loses nothing: rows of the current interval are re-derived from the replayed source,
 * the others come back from the checkpoint and are inserted again, and the idempotent insert keeps
 * one row per request.
 *
 * <p>When PostgreSQL is unavailable the job keeps serving: the backlog grows in state (gauge
 * {@code sluice.audit.backlogRows}) and is retried after each completed checkpoint, with backoff.
 * The backlog is bounded by {@code maxBacklogRows}; beyond it the operator fails the job with the
 * reason rather than grow without limit, and the restarts that follow restore the backlog from the
 * last checkpoint until the database is back.
 */
public final class AuditWriterOperator extends AbstractStreamOperator<Void>
        implements OneInputStreamOperator<AnsweredTurn, Void> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(AuditWriterOperator.class);

    static final String PENDING_STATE = "audit-pending";
    private static final long MAX_BACKOFF_MILLIS = 30_000;

    /** What the writer does to the schema when it first connects. */
    public enum SchemaMode {
        /** Applies missing migrations (needs DDL rights: the schema owner). */
        MIGRATE,
        /** Only checks the schema is this build's (the writer role's rights suffice). */
        VALIDATE
    }

    private final AuditConnection target;
    private final SchemaMode schemaMode;
    private final int maxBacklogRows;

    private transient List<AnsweredTurn> current;
    private transient TreeMap<Long, List<AnsweredTurn>> awaiting;
    private transient List<AnsweredTurn> backlog;
    private transient ListState<AnsweredTurn> state;
    private transient Connection connection;
    private transient boolean schemaChecked;
    private transient long retryAfterMillis;
    private transient long backoffMillis;
    private transient Counter committedRows;
    private transient Counter commitFailures;

    public AuditWriterOperator(AuditConnection target, SchemaMode schemaMode, int maxBacklogRows) {
        if (maxBacklogRows < 1) {
            throw new IllegalArgumentException("max backlog rows must be positive");
        }
        this.target = target;
        this.schemaMode = schemaMode;
        this.maxBacklogRows = maxBacklogRows;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        current = new ArrayList<>();
        awaiting = new TreeMap<>();
        backlog = new ArrayList<>();
        state = context.getOperatorStateStore().getListState(new ListStateDescriptor<>(PENDING_STATE, AnsweredTurn.TYPE));
        // Whatever a restored checkpoint holds belongs to a checkpoint that completed.
        state.get().forEach(backlog::add);
    }

    @Override
    public void open() throws Exception {
        super.open();
        var group = getMetricGroup().addGroup("sluice").addGroup("audit");
        group.gauge("backlogRows", this::backlogRows);
        committedRows = group.counter("committedRows");
        commitFailures = group.counter("commitFailures");
        if (!backlog.isEmpty()) {
            LOG.info("Restored {} audit rows of completed checkpoints; inserting them", backlog.size());
            commitBacklog();
        }
    }

    /** Rows of completed checkpoints not yet in PostgreSQL. */
    int backlogRows() {
        return backlog.size();
    }

    @Override
    public void processElement(StreamRecord<AnsweredTurn> element) {
        current.add(element.getValue());
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (!current.isEmpty()) {
            awaiting.put(context.getCheckpointId(), current);
            current = new ArrayList<>();
        }
        List<AnsweredTurn> pending = new ArrayList<>(backlog);
        awaiting.values().forEach(pending::addAll);
        state.update(pending);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        Map<Long, List<AnsweredTurn>> done = awaiting.headMap(checkpointId, true);
        done.values().forEach(backlog::addAll);
        done.clear();
        commitBacklog();
    }

    private void commitBacklog() {
        if (backlog.isEmpty() || System.currentTimeMillis() < retryAfterMillis) {
            checkBound();
            return;
        }
        try {
            int inserted = AuditStore.insert(connection(), backlog);
            committedRows.inc(inserted);
            if (backoffMillis > 0) {
                LOG.info("Audit trail reachable again: {} waiting rows written", backlog.size());
            }
            backlog.clear();
            backoffMillis = 0;
            retryAfterMillis = 0;
        } catch (SQLException e) {
            commitFailures.inc();
            closeConnection();
            backoffMillis = backoffMillis == 0 ? 1000 : Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
            retryAfterMillis = System.currentTimeMillis() + backoffMillis;
            LOG.warn("Audit trail unavailable ({}); {} rows wait in state, next try in {} ms", e.getMessage(),
                    backlog.size(), backoffMillis);
            checkBound();
        }
    }

    private void checkBound() {
        if (backlog.size() > maxBacklogRows) {
            throw new IllegalStateException("The audit backlog holds " + backlog.size() + " rows, more than "
                    + "sluice.audit.max-backlog-rows (" + maxBacklogRows + "): PostgreSQL at " + target.jdbcUrl()
                    + " has been unavailable too long. Failing so that the job restarts from its last checkpoint, "
                    + "which keeps every row, instead of growing without bound.");
        }
    }

    private Connection connection() throws SQLException {
        if (connection == null || !connection.isValid(5)) {
            closeConnection();
            connection = target.open();
            if (!schemaChecked) {
                if (schemaMode == SchemaMode.MIGRATE) {
                    AuditMigrations.migrate(connection);
                } else {
                    try {
                        AuditMigrations.validate(connection);
                    } catch (SQLException e) {
                        // Not an outage: this job cannot write to that schema. Retrying cannot help.
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                }
                schemaChecked = true;
            }
        }
        return connection;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Being replaced; a failing close changes nothing.
            }
            connection = null;
        }
    }

    @Override
    public void close() throws Exception {
        closeConnection();
        super.close();
    }
}
