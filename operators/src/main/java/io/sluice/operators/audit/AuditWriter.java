package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.sql.Connections;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes batches of audit rows to PostgreSQL, one thread's connection. Plain JDBC, no Flink: the
 * audit writer operator runs it on a thread of its own, so a database that hangs never holds up
 * the task thread that serves answers.
 *
 * <p>Failures fall in two classes, by SQLSTATE:
 * <ul>
 *   <li><b>the row's</b>: data exceptions (class 22, e.g. 22021 for a NUL byte), integrity
 *       constraint violations (23) and program limits (54). The batch is written again row by row;
 *       each row PostgreSQL refuses goes to {@code audit_quarantine} with its SQLSTATE and hash,
 *       and every other row is written. Retrying could never help these rows, and holding them
 *       would stop the whole trail behind them.
 *   <li><b>the database's</b>: everything else (connections, resources, an administrator, a
 *       missing privilege). {@link #write} throws; the caller keeps the rows and tries again later.
 * </ul>
 *
 * <p>No user text reaches the logs: the connection turns off PgJDBC's server error detail (which
 * would echo parameters), and this class logs row ids and SQLSTATEs, never messages of statements.
 */
public final class AuditWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AuditWriter.class);

    /** What the writer does to the schema when it first connects. */
    public enum SchemaMode {
        /** Applies missing migrations (needs DDL rights: the schema owner). */
        MIGRATE,
        /** Only checks the schema is this build's (the writer role's rights suffice). */
        VALIDATE
    }

    /** SQLSTATE classes whose errors are about the row, not the database. */
    private static final Map<String, String> ROW_CLASSES = Map.of(
            "22", "data exception",
            "23", "integrity constraint violation",
            "54", "program limit exceeded");

    /** A row PostgreSQL refused, and why. */
    public record Quarantined(AnsweredTurn turn, String sqlState, String reason) {}

    /** What a batch came to: rows new in the table, rows already there, rows quarantined. */
    public record Outcome(int inserted, int alreadyWritten, List<Quarantined> quarantined) {}

    private final AuditConnection target;
    private final SchemaMode schemaMode;
    private Connection connection;
    private boolean schemaChecked;

    public AuditWriter(AuditConnection target, SchemaMode schemaMode) {
        this.target = target;
        this.schemaMode = schemaMode;
    }

    /**
     * Writes {@code rows}: all of them, or all but those quarantined. Throws {@link SQLException}
     * when the database (not a row) failed; nothing is then owed but a later retry, since every
     * insert is idempotent. Throws {@link IllegalStateException} when this job cannot write to the
     * schema at all (a configuration error, not an outage).
     */
    public Outcome write(List<AnsweredTurn> rows) throws SQLException {
        Connection c = connection();
        try {
            int inserted = AuditStore.insert(c, rows);
            return new Outcome(inserted, rows.size() - inserted, List.of());
        } catch (SQLException e) {
            if (!isRowFailure(e)) {
                closeQuietly();
                throw e;
            }
        }
        // One row (at least) is poison; which one(s), only row by row can tell.
        int inserted = 0;
        int already = 0;
        List<Quarantined> quarantined = new ArrayList<>();
        for (AnsweredTurn row : rows) {
            try {
                if (AuditStore.insertOne(c, row)) {
                    inserted++;
                } else {
                    already++;
                }
            } catch (SQLException e) {
                if (!isRowFailure(e)) {
                    closeQuietly();
                    throw e;
                }
                String state = sqlState(e);
                String reason = "SQLSTATE " + state + " (" + ROW_CLASSES.get(state.substring(0, 2)) + ")";
                AuditStore.quarantine(c, row, state, reason);
                var r = row.request();
                LOG.warn("Audit row quarantined: tenant {} conversation {} chain seq {} request {} row hash {}: {}",
                        r.tenantId(), r.conversationId(), row.audit().sequence(), r.requestId(), row.audit().hash(),
                        reason);
                quarantined.add(new Quarantined(row, state, reason));
            }
        }
        return new Outcome(inserted, already, List.copyOf(quarantined));
    }

    /** Whether PostgreSQL refused a row for its data, which no retry can change. */
    static boolean isRowFailure(SQLException e) {
        String state = sqlState(e);
        return state != null && state.length() == 5 && ROW_CLASSES.containsKey(state.substring(0, 2));
    }

    /**
     * The SQLSTATE of the server's error: a batch failure carries it on the exception chained
     * behind it (PgJDBC's {@link BatchUpdateException} reports the batch, the next one the row).
     */
    static String sqlState(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            if (!(s instanceof BatchUpdateException) && s.getSQLState() != null) {
                return s.getSQLState();
            }
        }
        return e.getSQLState();
    }

    /** How to log a database failure without user text: SQLSTATE, and for connections the message. */
    public static String describe(SQLException e) {
        String state = sqlState(e);
        boolean connection = state != null && state.startsWith("08");
        return "SQLSTATE " + state + (connection && e.getMessage() != null ? " (" + e.getMessage() + ")" : "");
    }

    private Connection connection() throws SQLException {
        if (connection == null || !connection.isValid(5)) {
            closeQuietly();
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

    private void closeQuietly() {
        Connections.closeQuietly(connection);
        connection = null;
    }

    /** Drops the connection at once, even while another thread waits on it (a hung database). */
    public void abort() {
        Connection c = connection;
        if (c != null) {
            try {
                c.abort(Runnable::run);
            } catch (SQLException | RuntimeException ignored) {
                // Going away either way.
            }
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }
}
