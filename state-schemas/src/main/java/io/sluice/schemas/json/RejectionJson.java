package io.sluice.schemas.json;

import io.sluice.schemas.Rejection;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON of a {@code chat.rejected} record: the {@code stage} that refused the request,
 * {@code reason} (a {@link io.sluice.schemas.RejectReason} name), {@code detail}, whatever ids could
 * be read, the source position, and the original {@code payload} as a string (each bounded, see
 * {@link io.sluice.schemas.Rejection}). A refusal by a limit adds {@code retryAt} (ISO-8601, event
 * time) and {@code retryAfterMs} (from the request's event time), which the gateway turns into
 * {@code Retry-After}.
 */
public final class RejectionJson {

    private RejectionJson() {}

    public static String toJson(Rejection r) {
        ObjectNode root = ResponseJson.MAPPER.createObjectNode();
        root.put("stage", r.stage());
        root.put("reason", r.reason().name());
        root.put("detail", r.detail());
        root.put("requestId", r.requestId());
        root.put("tenantId", r.tenantId());
        root.put("conversationId", r.conversationId());
        root.put("partition", r.partition());
        root.put("offset", r.offset());
        root.put("payload", r.payload());
        if (r.retryAt() >= 0) {
            root.put("retryAt", java.time.Instant.ofEpochMilli(r.retryAt()).toString());
            root.put("retryAfterMs", r.retryAfterMillis());
        }
        return ResponseJson.write(root);
    }
}
