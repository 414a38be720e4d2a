package io.sluice.operators.audit;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A tenant's usage and cost over a range of event time, summed from the audit trail (the record of
 * what was answered, exactly once), by answer model and API key. Tokens a model did not report
 * count as none; turns audited without a price table have no cost and are counted apart.
 */
public final class UsageReport {

    /** One answer model and API key's share ({@code apiKeyId} empty for requests without one). */
    public record Line(String answerModel, String apiKeyId, long turns, long promptTokens, long completionTokens,
            BigDecimal costUsd, long unpricedTurns) {}

    private UsageReport() {}

    /** The usage of {@code tenantId} in {@code [from, to)}, ordered by answer model and key. */
    public static List<Line> of(Connection c, String tenantId, Instant from, Instant to) throws SQLException {
        String sql = "SELECT answer_model, coalesce(content::jsonb->>'apiKeyId', '') AS api_key, count(*), "
                + "coalesce(sum(greatest((model_call->>'promptTokens')::bigint, 0)), 0), "
                + "coalesce(sum(greatest((model_call->>'completionTokens')::bigint, 0)), 0), "
                + "coalesce(sum((content::jsonb->'cost'->>'usd')::numeric), 0), "
                + "count(*) FILTER (WHERE content::jsonb->'cost' IS NULL) "
                + "FROM audit_turns WHERE tenant_id = ? AND event_time >= ? AND event_time < ? "
                + "GROUP BY 1, 2 ORDER BY 1, 2";
        List<Line> lines = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, tenantId);
            ps.setTimestamp(2, Timestamp.from(from));
            ps.setTimestamp(3, Timestamp.from(to));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    lines.add(new Line(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                            rs.getBigDecimal(6), rs.getLong(7)));
                }
            }
        }
        return lines;
    }
}
