package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.sql.Connections;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.Collection;

/**
 * The audit trail in PostgreSQL: one row per answered turn in {@code audit_turns}, identified by
 * (tenant, conversation, row hash), holding the turn's canonical {@link AuditRecord}
 * ({@code content}), its hash-chain link and typed projections of the content for queries (the
 * schema is {@link AuditMigrations}'s). Inserts are idempotent on that key ({@code ON CONFLICT DO
 * NOTHING}): the same turn written again after a failure is the same row, while a different turn is
 * never mistaken for one, whatever its request id. That lets the writer commit a batch again without
 * duplicating or losing rows, with INSERT privilege only. Rows PostgreSQL refuses for their data go
 * to {@code audit_quarantine} ({@link #quarantine}).
 */
public final class AuditStore {

    public static final String TABLE = "audit_turns";

    private static final String INSERT = """
            INSERT INTO audit_turns (request_id, conversation_id, tenant_id, event_time,
                source_partition, source_offset, message, snapshot_id, embedding_model, model_id,
                context_hash, context_tokens, history_turns, retrieved, answer, citations,
                answer_model, model_call, chain_seq, prev_hash, row_hash, content)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS JSONB), ?, CAST(? AS JSONB), ?,
                CAST(? AS JSONB), ?, ?, ?, ?)
            ON CONFLICT (tenant_id, conversation_id, row_hash) DO NOTHING
            """;

    public static final String QUARANTINE_TABLE = "audit_quarantine";

    private static final String QUARANTINE = """
            INSERT INTO audit_quarantine (tenant_id, conversation_id, chain_seq, request_id, prev_hash, row_hash,
                sqlstate, reason, content)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, conversation_id, row_hash) DO NOTHING
            """;

    private AuditStore() {}

    /**
     * Inserts the rows of {@code turns} in one transaction; rows already present are left as they
     * are. Returns how many rows were new.
     */
    public static int insert(Connection connection, Collection<AnsweredTurn> turns) throws SQLException {
        return Connections.inTransaction(connection, () -> {
            try (PreparedStatement ps = connection.prepareStatement(INSERT)) {
                for (AnsweredTurn t : turns) {
                    bind(ps, t);
                    ps.addBatch();
                }
                int inserted = 0;
                for (int n : ps.executeBatch()) {
                    inserted += Math.max(0, n);
                }
                return inserted;
            }
        });
    }

    /** Inserts one row in a transaction of its own; returns whether it was new. */
    public static boolean insertOne(Connection connection, AnsweredTurn turn) throws SQLException {
        return Connections.inTransaction(connection, () -> {
            try (PreparedStatement ps = connection.prepareStatement(INSERT)) {
                bind(ps, turn);
                return ps.executeUpdate() > 0;
            }
        });
    }

    /**
     * Keeps a row PostgreSQL refused in {@code audit_quarantine}: its link, the SQLSTATE and reason,
     * and its canonical content as UTF-8 bytes (a bytea column takes what a text column refused).
     */
    public static void quarantine(Connection connection, AnsweredTurn turn, String sqlState, String reason)
            throws SQLException {
        var r = turn.request();
        Connections.inTransaction(connection, () -> {
            try (PreparedStatement ps = connection.prepareStatement(QUARANTINE)) {
                ps.setString(1, r.tenantId());
                ps.setString(2, r.conversationId());
                ps.setLong(3, turn.audit().sequence());
                ps.setString(4, r.requestId());
                ps.setString(5, turn.audit().previousHash());
                ps.setString(6, turn.audit().hash());
                ps.setString(7, sqlState);
                ps.setString(8, reason);
                ps.setBytes(9, AuditRecord.of(turn).text().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return ps.executeUpdate();
            }
        });
    }

    private static void bind(PreparedStatement ps, AnsweredTurn t) throws SQLException {
        AuditRecord record = AuditRecord.of(t);
        var r = t.request();
        ps.setString(1, r.requestId());
        ps.setString(2, r.conversationId());
        ps.setString(3, r.tenantId());
        ps.setTimestamp(4, new Timestamp(r.eventTime()));
        ps.setInt(5, r.partition());
        ps.setLong(6, r.offset());
        ps.setString(7, r.message());
        ps.setString(8, t.snapshotId());
        ps.setString(9, t.embeddingModel());
        ps.setString(10, t.modelId());
        ps.setString(11, t.contextHash());
        ps.setInt(12, t.contextTokens());
        ps.setInt(13, t.historyTurns());
        ps.setString(14, record.json("retrieved"));
        ps.setString(15, t.answer());
        ps.setString(16, record.json("citations"));
        ps.setString(17, r.answerModel());
        ps.setString(18, record.json("modelCall"));
        ps.setLong(19, t.audit().sequence());
        ps.setString(20, t.audit().previousHash());
        ps.setString(21, t.audit().hash());
        ps.setString(22, record.text());
    }

    /** Whether the table exists yet: the writer creates it at its first commit. */
    public static boolean exists(Connection connection) throws SQLException {
        return exists(connection, TABLE);
    }

    static boolean exists(Connection connection, String table) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + table + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** How many of {@code requestIds} have a row (all rows when null); 0 before the table exists. */
    public static int count(Connection connection, Collection<String> requestIds) throws SQLException {
        if (!exists(connection)) {
            return 0;
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT count(*) FROM " + TABLE
                + (requestIds == null ? "" : " WHERE request_id = ANY (?)"))) {
            if (requestIds != null) {
                ps.setArray(1, connection.createArrayOf("text", requestIds.toArray()));
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }
}
