package io.sluice.operators.validate;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RequestEnvelope;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.regex.Pattern;

/**
 * Validates a raw {@code chat.requests} record. A request is a JSON object:
 *
 * <pre>{@code
 * {"requestId": "r-1", "tenantId": "acme", "conversationId": "c-9",
 *  "message": "How do snapshots work?", "answerModel": "extractive",
 *  "parameters": {"topK": 5, "contextTokens": 1024}}
 * }</pre>
 *
 * {@code answerModel} is optional and names one of the job's answer models; without it the
 * tenant's model answers, else the job's default.
 * Ids are 1-128 characters of {@code [A-Za-z0-9._:@-]}; the message is non-blank and at most the
 * tenant's {@code maxMessageChars}; parameters are optional and bounded by the tenant. Anything else
 * becomes a {@link Rejection} with a reason code, never an exception: bad data must not restart the
 * job.
 */
public final class RequestValidator {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final TenantRegistry tenants;
    private final AnswerModels answerModels;

    public RequestValidator(TenantRegistry tenants, AnswerModels answerModels) {
        this.tenants = tenants;
        this.answerModels = answerModels;
    }

    public ValidationResult validate(RequestEnvelope envelope) {
        Parsed p = new Parsed(envelope);
        JsonNode root;
        try {
            root = envelope.payload() == null ? null : MAPPER.readTree(envelope.payload());
        } catch (JsonProcessingException e) {
            return p.reject(RejectReason.MALFORMED_JSON,
                    "payload is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            return p.reject(RejectReason.MALFORMED_JSON, "payload must be a JSON object");
        }
        p.requestId = text(root, "requestId");
        p.tenantId = text(root, "tenantId");
        p.conversationId = text(root, "conversationId");

        for (String field : new String[] {"requestId", "tenantId", "conversationId", "message"}) {
            JsonNode value = root.get(field);
            if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
                return p.reject(RejectReason.MISSING_FIELD, "'" + field + "' is required");
            }
            if (!value.isTextual()) {
                return p.reject(RejectReason.INVALID_FIELD, "'" + field + "' must be a string");
            }
        }
        for (String field : new String[] {"requestId", "tenantId", "conversationId"}) {
            if (!ID.matcher(root.get(field).asText()).matches()) {
                return p.reject(RejectReason.INVALID_FIELD, "'" + field
                        + "' must be 1-128 characters of letters, digits and . _ : @ -");
            }
        }
        var tenant = tenants.find(p.tenantId);
        if (tenant.isEmpty()) {
            return p.reject(RejectReason.UNKNOWN_TENANT, "tenant '" + p.tenantId + "' is not configured");
        }
        Tenant t = tenant.get();
        String message = root.get("message").asText().strip();
        if (message.length() > t.maxMessageChars()) {
            return p.reject(RejectReason.FIELD_TOO_LONG, "'message' has " + message.length()
                    + " characters; tenant '" + t.id() + "' allows " + t.maxMessageChars());
        }

        String answerModel = t.answerModel() != null ? t.answerModel() : answerModels.defaultModel();
        JsonNode model = root.get("answerModel");
        if (model != null && !model.isNull()) {
            if (!model.isTextual() || !answerModels.contains(model.asText())) {
                return p.reject(RejectReason.INVALID_FIELD, "'answerModel' must be one of " + answerModels.names());
            }
            answerModel = model.asText();
        }

        int topK = t.topK();
        int contextTokens = t.contextTokens();
        JsonNode params = root.get("parameters");
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                return p.reject(RejectReason.INVALID_FIELD, "'parameters' must be an object");
            }
            JsonNode k = params.get("topK");
            if (k != null) {
                if (!k.canConvertToInt() || !k.isIntegralNumber() || k.asInt() < 1 || k.asInt() > t.maxTopK()) {
                    return p.reject(RejectReason.INVALID_FIELD,
                            "'parameters.topK' must be an integer in [1, " + t.maxTopK() + "]");
                }
                topK = k.asInt();
            }
            JsonNode c = params.get("contextTokens");
            if (c != null) {
                if (!c.isIntegralNumber() || c.asInt() < 64 || c.asInt() > t.maxContextTokens()) {
                    return p.reject(RejectReason.INVALID_FIELD,
                            "'parameters.contextTokens' must be an integer in [64, " + t.maxContextTokens() + "]");
                }
                contextTokens = c.asInt();
            }
        }
        return new ValidationResult.Valid(new ChatRequest(p.requestId, p.tenantId, p.conversationId,
                message, topK, contextTokens, envelope.timestamp(), envelope.partition(),
                envelope.offset(), answerModel));
    }

    private static String text(JsonNode root, String field) {
        JsonNode v = root.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** The ids read so far, so that a rejection carries whatever could be identified. */
    private static final class Parsed {
        final RequestEnvelope envelope;
        String requestId;
        String tenantId;
        String conversationId;

        Parsed(RequestEnvelope envelope) {
            this.envelope = envelope;
        }

        ValidationResult reject(RejectReason reason, String detail) {
            return new ValidationResult.Rejected(new Rejection(reason, detail, requestId, tenantId,
                    conversationId, envelope.payload(), envelope.partition(), envelope.offset(),
                    envelope.timestamp()));
        }
    }
}
