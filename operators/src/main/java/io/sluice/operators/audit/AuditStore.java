package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.Collection;

/**
 * The audit trail in PostgreSQL: one row per answered request in {@code audit_turns}, keyed by
 * request id, holding the turn's canonical {@link AuditRecord} ({@code content}), its hash-chain
 * link and typed projections of the content for queries (the schema is {@link AuditMigrations}'s).
 * Inserts are idempotent ({@code ON CONFLICT DO NOTHING}), which is what lets the writer commit a
 * batch again after a failure without duplicating rows, with INSERT privilege only.
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
            ON CONFLICT (request_id) DO NOTHING
            """;

    private AuditStore() {}

    /**
     * Inserts the rows of {@code turns} in one transaction; rows already present are left as they
     * are. Returns how many rows were new.
     */
    public static int insert(Connection connection, Collection<AnsweredTurn> turns) throws SQLException {
        return inTransaction(connection, () -> {
            try (PreparedStatement ps = connection.prepareStatement(INSERT)) {
                for (AnsweredTurn t : turns) {
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

    /** Whether the table exists yet: the writer creates it at its first commit. */
    public static boolean exists(Connection connection) throws SQLException {
        try (Statement st = connection.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
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

    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    static <T> T inTransaction(Connection connection, Work<T> work) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            T result = work.run();
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }
}
