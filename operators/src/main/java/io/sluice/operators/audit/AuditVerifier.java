package io.sluice.operators.audit;

import io.sluice.operators.text.Hashing;
import io.sluice.schemas.AuditLink;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Checks the audit trail's hash chains: per conversation, rows numbered 1, 2, ... without gaps,
 * each row's previous hash equal to the row before it, each row's hash equal to the SHA-256 of its
 * stored content, and the typed columns equal to what the content says. Reports the first broken
 * link of every conversation that has one.
 */
public final class AuditVerifier {

    /** Rows checked between two progress reports. */
    static final int PROGRESS_EVERY = 10_000;

    /** Where a conversation's chain breaks, and why. */
    public record Break(String conversationId, long sequence, String requestId, String reason) {}

    /** What the check found; {@code unchained} counts rows written before the hash chain existed. */
    public record Report(long conversations, long rows, long unchained, List<Break> breaks) {
        public boolean intact() {
            return breaks.isEmpty();
        }
    }

    private static final String[][] PROJECTIONS = {
        {"request_id", "requestId"}, {"conversation_id", "conversationId"}, {"tenant_id", "tenantId"},
        {"message", "message"}, {"answer", "answer"}, {"context_hash", "contextHash"}, {"model_id", "modelId"},
        {"answer_model", "answerModel"}, {"snapshot_id", "snapshotId"}, {"embedding_model", "embeddingModel"}
    };

    private AuditVerifier() {}

    /** Reads the whole table in conversation and chain order; {@code progress} gets the rows read so far. */
    public static Report verify(Connection connection, LongConsumer progress) throws SQLException {
        StringBuilder columns = new StringBuilder("chain_seq, prev_hash, row_hash, content");
        for (String[] p : PROJECTIONS) {
            columns.append(", ").append(p[0]);
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false); // lets the driver stream with a cursor
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + columns + " FROM " + AuditStore.TABLE
                + " ORDER BY conversation_id, chain_seq NULLS FIRST")) {
            ps.setFetchSize(1000);
            List<Break> breaks = new ArrayList<>();
            long rows = 0;
            long unchained = 0;
            long conversations = 0;
            String conversation = null;
            long expected = 1;
            String previous = AuditLink.GENESIS;
            boolean broken = false;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows++;
                    if (rows % PROGRESS_EVERY == 0) {
                        progress.accept(rows);
                    }
                    String conv = rs.getString("conversation_id");
                    if (!conv.equals(conversation)) {
                        conversation = conv;
                        conversations++;
                        expected = 1;
                        previous = AuditLink.GENESIS;
                        broken = false;
                    }
                    long seq = rs.getLong("chain_seq");
                    if (rs.wasNull()) {
                        unchained++;
                        continue;
                    }
                    if (broken) {
                        continue;
                    }
                    String problem = check(rs, seq, expected, previous);
                    if (problem != null) {
                        breaks.add(new Break(conv, seq, rs.getString("request_id"), problem));
                        broken = true;
                        continue;
                    }
                    expected = seq + 1;
                    previous = rs.getString("row_hash");
                }
            }
            progress.accept(rows);
            return new Report(conversations, rows, unchained, List.copyOf(breaks));
        } finally {
            connection.commit();
            connection.setAutoCommit(autoCommit);
        }
    }

    private static String check(ResultSet rs, long seq, long expected, String previous) throws SQLException {
        if (seq != expected) {
            return seq > expected ? "row " + expected + (seq - expected > 1 ? " to " + (seq - 1) : "") + " missing"
                    : "row " + seq + " out of order";
        }
        if (!previous.equals(rs.getString("prev_hash"))) {
            return "previous hash does not match row " + (seq - 1);
        }
        String content = rs.getString("content");
        if (content == null || !Hashing.sha256Hex(content).equals(rs.getString("row_hash"))) {
            return "content does not match its hash (changed after it was written)";
        }
        JsonNode hashed;
        try {
            hashed = AuditRecord.MAPPER.readTree(content);
        } catch (JsonProcessingException e) {
            return "content is not the JSON that was hashed";
        }
        if (hashed.path("chainSeq").asLong() != seq || !previous.equals(hashed.path("prevHash").asText())) {
            return "chain columns differ from the hashed content";
        }
        for (String[] p : PROJECTIONS) {
            if (!Objects.equals(rs.getString(p[0]), hashed.path(p[1]).asText(null))) {
                return "column " + p[0] + " differs from the hashed content";
            }
        }
        return null;
    }
}
