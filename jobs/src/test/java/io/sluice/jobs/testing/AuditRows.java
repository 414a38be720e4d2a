package io.sluice.jobs.testing;

import io.sluice.operators.audit.AuditStore;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the audit trail back for assertions. */
public final class AuditRows {

    private AuditRows() {}

    /** One audit row as the tests compare it. */
    public record Row(String requestId, String conversationId, String tenantId, String answer,
            String contextHash, String snapshotId, String embeddingModel, String retrieved, int historyTurns,
            String modelId, String answerModel, String modelCall) {}

    /** request id to row; an empty map while the table does not exist yet. */
    public static Map<String, Row> read(Connection c) throws SQLException {
        Map<String, Row> rows = new LinkedHashMap<>();
        try (Statement st = c.createStatement()) {
            if (!AuditStore.exists(c)) {
                return rows;
            }
            try (ResultSet rs = st.executeQuery("SELECT request_id, conversation_id, tenant_id, answer, "
                    + "context_hash, snapshot_id, embedding_model, retrieved::text, history_turns, model_id, answer_model, model_call::text "
                    + "FROM audit_turns ORDER BY request_id")) {
                while (rs.next()) {
                    rows.put(rs.getString(1), new Row(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getInt(9),
                            rs.getString(10), rs.getString(11), rs.getString(12)));
                }
            }
        }
        return rows;
    }

    /**
     * Total rows, duplicates included: rows are unique by content, so a turn written twice with
     * different content (or a request answered twice) shows up here, not in {@link #read}.
     */
    public static int count(Connection c) throws SQLException {
        if (read(c).isEmpty()) {
            return 0;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM audit_turns")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
