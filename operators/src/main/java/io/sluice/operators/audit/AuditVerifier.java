package io.sluice.operators.audit;

import io.sluice.schemas.AuditLink;
import io.sluice.schemas.Hashing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * Checks the audit trail's hash chains, one per (tenant, conversation): rows numbered 1, 2, ...
 * without gaps, each row's previous hash equal to the hash of a row one step before it, each row's
 * hash equal to the SHA-256 of its stored content, and every typed column equal to what the content
 * says. Rows in {@code audit_quarantine} are links of their chains too: a chain that runs through
 * one is reported as quarantined at that step, neither intact nor tampered.
 *
 * <p>A step with more than one row is a fork: the conversation was served twice from that point (a
 * job started without its state against an existing trail, or restored from an older savepoint).
 * Nothing was lost or altered, so it is reported, not counted as a break.
 */
public final class AuditVerifier {

    /** Rows checked between two progress reports. */
    static final int PROGRESS_EVERY = 10_000;

    /** Where a conversation's chain breaks, and why: evidence of tampering or loss. */
    public record Break(String tenantId, String conversationId, long sequence, String requestId, String reason) {}

    /** A chain that holds but is not plain: quarantined rows, forks. */
    public record Notice(String tenantId, String conversationId, long sequence, String what) {}

    /**
     * What the check found; {@code unchained} counts rows written before the hash chain existed,
     * {@code quarantined} the rows in the quarantine table.
     */
    public record Report(long conversations, long rows, long unchained, long quarantined, List<Break> breaks,
            List<Notice> notices) {

        /** Every chain intact and plain: nothing broken, unchained, quarantined or forked. */
        public boolean intact() {
            return breaks.isEmpty() && unchained == 0 && notices.isEmpty();
        }

        /** 0: intact; 1: a broken link or unverifiable (unchained) rows; 2: quarantined rows or forks only. */
        public int exitCode() {
            return !breaks.isEmpty() || unchained > 0 ? 1 : notices.isEmpty() ? 0 : 2;
        }
    }

    /** Typed text columns and the content fields they project. */
    private static final String[][] TEXT_COLUMNS = {
        {"request_id", "requestId"}, {"conversation_id", "conversationId"}, {"tenant_id", "tenantId"},
        {"message", "message"}, {"answer", "answer"}, {"context_hash", "contextHash"}, {"model_id", "modelId"},
        {"answer_model", "answerModel"}, {"snapshot_id", "snapshotId"}, {"embedding_model", "embeddingModel"}
    };
    private static final String[][] NUMBER_COLUMNS = {
        {"source_partition", "partition"}, {"source_offset", "offset"}, {"context_tokens", "contextTokens"},
        {"history_turns", "historyTurns"}
    };
    private static final String[][] JSON_COLUMNS = {
        {"retrieved", "retrieved"}, {"citations", "citations"}, {"model_call", "modelCall"}
    };

    /** JSON equality that compares numbers by value: PostgreSQL's jsonb may render them otherwise. */
    private static final Comparator<JsonNode> BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    /**
     * One row's place in its chain, once its own content has been checked: {@code quarantine} is the
     * reason of a quarantined row, {@code problem} what is wrong with a quarantined row's content.
     */
    private record Link(long sequence, String requestId, String previousHash, String hash, String quarantine,
            String problem) {}

    private AuditVerifier() {}

    /**
     * Reads the whole table in tenant, conversation and chain order; {@code progress} gets the rows
     * read so far.
     */
    public static Report verify(Connection connection, LongConsumer progress) throws SQLException {
        Map<String, List<Link>> quarantine = quarantined(connection);
        StringBuilder columns = new StringBuilder("chain_seq, prev_hash, row_hash, content, "
                + "(extract(epoch from event_time) * 1000)::bigint AS event_millis");
        for (String[][] group : new String[][][] {TEXT_COLUMNS, NUMBER_COLUMNS}) {
            for (String[] c : group) {
                columns.append(", ").append(c[0]);
            }
        }
        for (String[] c : JSON_COLUMNS) {
            columns.append(", ").append(c[0]).append("::text AS ").append(c[0]);
        }
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false); // lets the driver stream with a cursor
        try (PreparedStatement ps = connection.prepareStatement("SELECT " + columns + " FROM " + AuditStore.TABLE
                + " ORDER BY tenant_id, conversation_id, chain_seq NULLS FIRST")) {
            ps.setFetchSize(1000);
            Walk walk = new Walk(quarantine);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    walk.rows++;
                    if (walk.rows % PROGRESS_EVERY == 0) {
                        progress.accept(walk.rows);
                    }
                    walk.enter(rs.getString("tenant_id"), rs.getString("conversation_id"));
                    long seq = rs.getLong("chain_seq");
                    if (rs.wasNull()) {
                        walk.unchained++;
                        continue;
                    }
                    String problem = check(rs, seq);
                    if (problem != null) {
                        walk.breakAt(seq, rs.getString("request_id"), problem);
                    } else {
                        walk.links.add(new Link(seq, rs.getString("request_id"), rs.getString("prev_hash"),
                                rs.getString("row_hash"), null, null));
                    }
                }
            }
            walk.enter(null, null);
            // Conversations whose only rows are quarantined.
            for (Map.Entry<String, List<Link>> e : new TreeMap<>(quarantine).entrySet()) {
                String[] key = e.getKey().split("\u0000", 2);
                walk.enter(key[0], key[1]);
            }
            walk.enter(null, null);
            progress.accept(walk.rows);
            return new Report(walk.conversations, walk.rows, walk.unchained, walk.quarantinedSeen,
                    List.copyOf(walk.breaks), List.copyOf(walk.notices));
        } finally {
            connection.commit();
            connection.setAutoCommit(autoCommit);
        }
    }

    /** Walks one conversation at a time: its links are gathered, then followed step by step. */
    private static final class Walk {
        final Map<String, List<Link>> quarantine;
        final List<Break> breaks = new ArrayList<>();
        final List<Notice> notices = new ArrayList<>();
        long rows;
        long unchained;
        long conversations;
        long quarantinedSeen;
        String tenant;
        String conversation;
        boolean broken;
        List<Link> links = new ArrayList<>();

        Walk(Map<String, List<Link>> quarantine) {
            this.quarantine = quarantine;
        }

        void enter(String nextTenant, String nextConversation) {
            if (Objects.equals(tenant, nextTenant) && Objects.equals(conversation, nextConversation)) {
                return;
            }
            if (conversation != null) {
                finish();
            }
            tenant = nextTenant;
            conversation = nextConversation;
            broken = false;
            links = new ArrayList<>();
            if (conversation != null) {
                conversations++;
                List<Link> q = quarantine.remove(tenant + "\u0000" + conversation);
                if (q != null) {
                    links.addAll(q);
                    quarantinedSeen += q.size();
                }
            }
        }

        void breakAt(long seq, String requestId, String reason) {
            if (!broken) {
                breaks.add(new Break(tenant, conversation, seq, requestId, reason));
                broken = true;
            }
        }

        /** Follows the chain from genesis, one step (sequence number) at a time. */
        void finish() {
            if (broken) {
                return;
            }
            TreeMap<Long, List<Link>> steps = new TreeMap<>();
            for (Link l : links) {
                steps.computeIfAbsent(l.sequence(), s -> new ArrayList<>()).add(l);
            }
            long expected = 1;
            Set<String> previous = Set.of(AuditLink.GENESIS);
            boolean forked = false;
            for (Map.Entry<Long, List<Link>> step : steps.entrySet()) {
                long seq = step.getKey();
                if (seq != expected) {
                    breakAt(seq, step.getValue().get(0).requestId(), seq > expected
                            ? "row " + expected + (seq - expected > 1 ? " to " + (seq - 1) : "") + " missing"
                            : "row " + seq + " out of order");
                    return;
                }
                Set<String> hashes = new HashSet<>();
                for (Link l : step.getValue()) {
                    if (l.problem() != null) {
                        breakAt(seq, l.requestId(), l.problem());
                        return;
                    }
                    if (!previous.contains(l.previousHash())) {
                        breakAt(seq, l.requestId(), "previous hash does not match row " + (seq - 1));
                        return;
                    }
                    if (l.quarantine() != null) {
                        notices.add(new Notice(tenant, conversation, seq, "quarantined at seq " + seq
                                + " (request " + l.requestId() + ", " + l.quarantine() + ")"));
                    }
                    hashes.add(l.hash());
                }
                if (hashes.size() > 1 && !forked) {
                    forked = true;
                    notices.add(new Notice(tenant, conversation, seq, "forked at seq " + seq + ": " + hashes.size()
                            + " rows (served twice from here: a job started without its state, or restored from "
                            + "an older savepoint)"));
                }
                previous = hashes;
                expected = seq + 1;
            }
        }
    }

    /** The quarantined rows by tenant and conversation, their content checked against their hash. */
    private static Map<String, List<Link>> quarantined(Connection connection) throws SQLException {
        Map<String, List<Link>> rows = new HashMap<>();
        if (!AuditStore.exists(connection, AuditStore.QUARANTINE_TABLE)) {
            return rows;
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT tenant_id, conversation_id, chain_seq, "
                + "request_id, prev_hash, row_hash, reason, content FROM " + AuditStore.QUARANTINE_TABLE);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                byte[] content = rs.getBytes("content");
                String hash = rs.getString("row_hash");
                boolean matches = HexFormat.of().formatHex(Hashing.sha256().digest(content)).equals(hash);
                rows.computeIfAbsent(rs.getString("tenant_id") + "\u0000" + rs.getString("conversation_id"),
                        k -> new ArrayList<>()).add(new Link(rs.getLong("chain_seq"), rs.getString("request_id"),
                        rs.getString("prev_hash"), hash, rs.getString("reason"),
                        matches ? null : "quarantined content does not match its hash (changed after it was written)"));
            }
        }
        return rows;
    }

    private static String check(ResultSet rs, long seq) throws SQLException {
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
        if (hashed.path("chainSeq").asLong() != seq || !Objects.equals(rs.getString("prev_hash"),
                hashed.path("prevHash").asText(null))) {
            return "chain columns differ from the hashed content";
        }
        for (String[] c : TEXT_COLUMNS) {
            if (!Objects.equals(rs.getString(c[0]), hashed.path(c[1]).asText(null))) {
                return "column " + c[0] + " differs from the hashed content";
            }
        }
        for (String[] c : NUMBER_COLUMNS) {
            if (rs.getLong(c[0]) != hashed.path(c[1]).asLong() || !hashed.path(c[1]).isIntegralNumber()) {
                return "column " + c[0] + " differs from the hashed content";
            }
        }
        if (rs.getLong("event_millis") != hashed.path("eventTime").asLong()) {
            return "column event_time differs from the hashed content";
        }
        for (String[] c : JSON_COLUMNS) {
            try {
                JsonNode column = AuditRecord.MAPPER.readTree(rs.getString(c[0]));
                if (!column.equals(BY_VALUE, hashed.path(c[1]))) {
                    return "column " + c[0] + " differs from the hashed content";
                }
            } catch (JsonProcessingException | IllegalArgumentException e) {
                return "column " + c[0] + " is not JSON";
            }
        }
        return null;
    }
}
