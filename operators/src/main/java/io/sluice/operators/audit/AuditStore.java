package io.sluice.operators.audit;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RetrievedChunk;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.Collection;

/**
 * The audit trail in PostgreSQL: one row per answered request in {@code audit_turns}, keyed by
 * request id, with the answer model the request chose and how it was called ({@code model_call}:
 * version, parameters, seed, usage). Inserts are idempotent ({@code ON CONFLICT DO NOTHING}), which is what lets the sink
 * re-commit a batch after a failure without duplicating rows.
 */
public final class AuditStore {

    public static final String TABLE = "audit_turns";

    /** Advisory lock key that serialises schema changes ("sluice" in ASCII). */
    private static final long SCHEMA_LOCK = 0x736c75696365L;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static final String DDL = """
            CREATE TABLE IF NOT EXISTS audit_turns (
                request_id       TEXT PRIMARY KEY,
                conversation_id  TEXT NOT NULL,
                tenant_id        TEXT NOT NULL,
                event_time       TIMESTAMPTZ NOT NULL,
                source_partition INTEGER NOT NULL,
                source_offset    BIGINT NOT NULL,
                message          TEXT NOT NULL,
                snapshot_id      TEXT NOT NULL,
                embedding_model  TEXT NOT NULL,
                model_id         TEXT NOT NULL,
                context_hash     TEXT NOT NULL,
                context_tokens   INTEGER NOT NULL,
                history_turns    INTEGER NOT NULL,
                retrieved        JSONB NOT NULL,
                answer           TEXT NOT NULL,
                citations        JSONB NOT NULL,
                recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now()
            );
            CREATE INDEX IF NOT EXISTS audit_turns_conversation
                ON audit_turns (conversation_id, event_time);
            ALTER TABLE audit_turns ADD COLUMN IF NOT EXISTS answer_model TEXT NOT NULL DEFAULT 'extractive';
            ALTER TABLE audit_turns ADD COLUMN IF NOT EXISTS model_call JSONB NOT NULL DEFAULT '{}';
            """;

    private static final String INSERT = """
            INSERT INTO audit_turns (request_id, conversation_id, tenant_id, event_time,
                source_partition, source_offset, message, snapshot_id, embedding_model, model_id,
                context_hash, context_tokens, history_turns, retrieved, answer, citations,
                answer_model, model_call)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS JSONB), ?, CAST(? AS JSONB), ?, CAST(? AS JSONB))
            ON CONFLICT (request_id) DO NOTHING
            """;

    private AuditStore() {}

    /**
     * Creates the table if missing. Parallel sink subtasks call this at once, and concurrent
     * {@code CREATE TABLE IF NOT EXISTS} can still collide in PostgreSQL's catalog, so creation is
     * serialised with a transaction-scoped advisory lock.
     */
    public static void createSchema(Connection connection) throws SQLException {
        inTransaction(connection, () -> {
            try (Statement st = connection.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
                st.execute(DDL);
            }
            return null;
        });
    }

    /**
     * Inserts the rows of {@code turns} in one transaction; rows already present are left as they
     * are. Returns how many rows were new.
     */
    public static int insert(Connection connection, Collection<AnsweredTurn> turns) throws SQLException {
        return inTransaction(connection, () -> {
            try (PreparedStatement ps = connection.prepareStatement(INSERT)) {
                for (AnsweredTurn t : turns) {
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
                    ps.setString(14, retrievedJson(t));
                    ps.setString(15, t.answer());
                    ps.setString(16, citationsJson(t));
                    ps.setString(17, r.answerModel());
                    ps.setString(18, modelCallJson(t.call()));
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

    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
    private static <T> T inTransaction(Connection connection, Work<T> work) throws SQLException {
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

    private static String retrievedJson(AnsweredTurn t) {
        ArrayNode list = MAPPER.createArrayNode();
        for (RetrievedChunk c : t.retrieved()) {
            list.addObject().put("chunkId", c.chunkId()).put("score", c.score())
                    .put("bm25Rank", c.bm25Rank()).put("vectorRank", c.vectorRank());
        }
        return list.toString();
    }

    /** The model's version, effective parameters and seed, and what it reported: enough to call it again. */
    private static String modelCallJson(ModelCall c) {
        return MAPPER.createObjectNode()
                .put("modelVersion", c.modelVersion())
                .put("temperature", c.temperature())
                .put("topP", c.topP())
                .put("maxTokens", c.maxTokens())
                .put("seed", c.seed())
                .put("promptTokens", c.promptTokens())
                .put("completionTokens", c.completionTokens())
                .put("finishReason", c.finishReason())
                .put("chunks", c.chunks())
                .toString();
    }

    private static String citationsJson(AnsweredTurn t) {
        ArrayNode list = MAPPER.createArrayNode();
        for (Citation c : t.citations()) {
            list.addObject().put("marker", c.marker()).put("chunkId", c.chunkId())
                    .put("documentId", c.documentId());
        }
        return list.toString();
    }
}
