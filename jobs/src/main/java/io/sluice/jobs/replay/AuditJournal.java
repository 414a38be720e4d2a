package io.sluice.jobs.replay;

import io.sluice.operators.audit.AuditRecord;
import io.sluice.operators.cache.ResponseCache;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RoutingDecision;

import com.fasterxml.jackson.databind.JsonNode;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the audit trail for a replay: every hash-chained row of the selected conversations (or
 * tenant, or all), in chain order. Replay answers remote model calls from these rows and compares
 * its own outputs with them.
 */
public final class AuditJournal {

    private AuditJournal() {}

    /**
     * Position in {@code chat.requests} → audited turn (request ids are unique only per conversation
     * and for a while; positions are unique). {@code conversation} and {@code tenant} may be null
     * (no filter); a conversation id names conversations of every tenant unless a tenant is given.
     */
    public static Map<String, AuditedTurn> read(Connection connection, String conversation, String tenant)
            throws SQLException {
        Map<String, AuditedTurn> turns = new LinkedHashMap<>();
        stream(connection, "SELECT request_id, conversation_id, tenant_id, "
                + "source_partition, source_offset, event_time, content, row_hash FROM audit_turns "
                + "WHERE chain_seq IS NOT NULL AND (? IS NULL OR conversation_id = ?) AND (? IS NULL OR tenant_id = ?) "
                + "ORDER BY tenant_id, conversation_id, chain_seq", 1000, ps -> {
                    ps.setString(1, conversation);
                    ps.setString(2, conversation);
                    ps.setString(3, tenant);
                    ps.setString(4, tenant);
                }, rs -> {
                    AuditedTurn turn = new AuditedTurn(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.getInt(4), rs.getLong(5), rs.getTimestamp(6).getTime(), rs.getString(7), rs.getString(8));
                    turns.put(turn.position(), turn);
                });
        return turns;
    }

    /**
     * The positions in {@code chat.requests} of every audited turn, of every tenant and conversation,
     * each with the budget its request had left ({@code budgetLeft}, -1 when it counted toward none):
     * whom the live run answered, which replay's admission stage needs whatever the replay selects
     * (a refusal takes nothing from a rate bucket, an admission takes one), and what routing saw.
     */
    public static Map<String, Integer> answered(Connection connection) throws SQLException {
        Map<String, Integer> answered = new HashMap<>();
        stream(connection, "SELECT source_partition, source_offset, (content::jsonb ->> 'budgetLeft')::int "
                + "FROM audit_turns WHERE chain_seq IS NOT NULL", 10_000, ps -> { }, rs -> {
                    String position = ChatRequest.position(rs.getInt(1), rs.getLong(2));
                    int left = rs.getInt(3); // read last: wasNull speaks of the last column read
                    answered.put(position, rs.wasNull() ? -1 : left);
                });
        return answered;
    }

    @FunctionalInterface
    private interface Binding {
        void bind(PreparedStatement statement) throws SQLException;
    }

    @FunctionalInterface
    private interface Row {
        void read(ResultSet row) throws SQLException;
    }

    /** Runs {@code sql} through a cursor, {@code fetchSize} rows at a time, so a long trail is never held whole. */
    private static void stream(Connection connection, String sql, int fetchSize, Binding binding, Row row)
            throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false); // PostgreSQL streams with a cursor only inside a transaction
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setFetchSize(fetchSize);
            binding.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    row.read(rs);
                }
            }
        } finally {
            connection.commit();
            connection.setAutoCommit(autoCommit);
        }
    }

    /**
     * The live input of routing, from the journal: by request position, the profiles a turn's routing
     * passed over because their circuit breaker was open.
     */
    public static Map<String, List<String>> openBreakers(Map<String, AuditedTurn> journal) {
        Map<String, List<String>> open = new java.util.TreeMap<>();
        journal.forEach((position, turn) -> {
            List<String> profiles = new java.util.ArrayList<>();
            turn.json().path("routing").path("skipped").forEach(skip -> {
                if (RoutingDecision.Skip.BREAKER_OPEN.equals(skip.path("reason").asText())) {
                    profiles.add(skip.path("profile").asText());
                }
            });
            if (!profiles.isEmpty()) {
                open.put(position, profiles);
            }
        });
        return open;
    }

    /** The model's own version in an audited {@code modelCall}: its {@code modelVersion} without the prompt's. */
    static String modelVersion(JsonNode modelCall) {
        String version = modelCall.path("modelVersion").asText();
        int prompt = version.lastIndexOf("; prompt v");
        return prompt < 0 ? version : version.substring(0, prompt);
    }

    /** The pieces the model streamed, in an audited {@code modelCall}. */
    static int modelPieces(JsonNode modelCall) {
        return modelCall.path(AuditRecord.MODEL_PIECES_FIELD).asInt();
    }

    /**
     * The answers the live job took from the response cache, from the journal, by request position:
     * replay serves the same hits (the cache's content then is not the journal's to know).
     */
    public static Map<String, ResponseCache.Cached> cacheHits(Map<String, AuditedTurn> journal) {
        Map<String, ResponseCache.Cached> hits = new java.util.TreeMap<>();
        journal.forEach((position, turn) -> {
            JsonNode c = turn.json();
            if (c.path("responseCache").path("hit").asBoolean(false)) {
                hits.put(position, new ResponseCache.Cached(c.path("answer").asText(), modelVersion(c.path("modelCall")),
                        c.path("modelCall").path("finishReason").asText(), modelPieces(c.path("modelCall")),
                        c.path("responseCache").path("from").asText(null)));
            }
        });
        return hits;
    }

    /**
     * The degradations of the live job's turns, from the journal, by request position: the backlog
     * each was decided on and how long the turn had waited for a slot; replay takes the same steps of
     * the ladder (a turn without one was not degraded).
     */
    public static Map<String, RoutingDecision.Degradation> degradations(Map<String, AuditedTurn> journal) {
        Map<String, RoutingDecision.Degradation> degradations = new java.util.TreeMap<>();
        journal.forEach((position, turn) -> {
            JsonNode d = turn.json().path("routing").path("degradation");
            if (d.isObject()) {
                degradations.put(position, new RoutingDecision.Degradation(d.path("step").asText(),
                        d.path("backlog").asInt(), d.path("waitedMs").asLong(0)));
            }
        });
        return degradations;
    }
}
