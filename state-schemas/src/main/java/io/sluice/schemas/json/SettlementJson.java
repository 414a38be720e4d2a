package io.sluice.schemas.json;

import io.sluice.schemas.Settlement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * The JSON of a {@code chat.usage} record: {@code tenantId}, {@code requestId}, {@code position}
 * ({@code partition:offset} in {@code chat.requests}), {@code tokens} ({@code -1}: not reported) and
 * {@code outcome}.
 */
public final class SettlementJson {

    private SettlementJson() {}

    public static String toJson(Settlement s) {
        ObjectNode root = ResponseJson.MAPPER.createObjectNode();
        root.put("tenantId", s.tenantId());
        root.put("requestId", s.requestId());
        root.put("position", s.position());
        root.put("tokens", s.tokens());
        root.put("outcome", s.outcome());
        return ResponseJson.write(root);
    }

    /** The settlement in {@code json}, or empty when it is not one (the topic is Sluice's own, but bytes are bytes). */
    public static Optional<Settlement> parse(String json) {
        try {
            JsonNode n = ResponseJson.MAPPER.readTree(json);
            if (n == null || !n.path("tenantId").isTextual() || !n.path("position").isTextual()
                    || !n.path("tokens").canConvertToLong() || !n.path("tokens").isIntegralNumber()) {
                return Optional.empty();
            }
            return Optional.of(new Settlement(n.get("tenantId").asText(), n.path("requestId").asText(null),
                    n.get("position").asText(), n.get("tokens").longValue(), n.path("outcome").asText(null)));
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
