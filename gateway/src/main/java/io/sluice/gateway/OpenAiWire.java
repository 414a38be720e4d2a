package io.sluice.gateway;

import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * OpenAI's wire format on one side, Sluice's records on the other: a {@code chat.completions}
 * request becomes one turn for {@code chat.requests}; Sluice's streamed pieces and {@code answer}
 * records become {@code chat.completion.chunk} events or one {@code chat.completion}; a rejection
 * becomes an OpenAI error with the HTTP status that says what went wrong. Plain, no I/O.
 *
 * <p>Citations travel in an extension field {@code sluice} that OpenAI's SDKs ignore (and, as in
 * every answer, as {@code [n]} markers in the text).
 */
public final class OpenAiWire {

    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

    /** One turn as the gateway sends it to the job. */
    /**
     * A request's new message and, for a request that names no conversation, the turns before it
     * ({@code earlier}, oldest first) as the job takes them in {@code history}.
     */
    public record Turn(String model, String message, boolean stream, boolean includeUsage,
            List<ConversationTurn> earlier, String priority) {

        /** An interactive turn. */
        public Turn(String model, String message, boolean stream, boolean includeUsage,
                List<ConversationTurn> earlier) {
            this(model, message, stream, includeUsage, earlier, ChatRequest.INTERACTIVE);
        }
    }

    /** OpenAI's {@code service_tier} values; {@code flex} (slower, cheaper processing) makes a bulk turn. */
    static final Set<String> SERVICE_TIERS = Set.of("auto", "default", "flex", "priority", "scale");

    private OpenAiWire() {}

    /**
     * The turn of a {@code /v1/chat/completions} body: {@code model} (one of {@code models}: Sluice's
     * answer models), {@code messages} whose last is the user's new message (a string, or text
     * parts), {@code stream} and {@code stream_options.include_usage}, {@code service_tier}
     * ({@code flex}: a {@link ChatRequest#BULK} turn, which waits behind interactive ones; any other
     * tier: interactive). Sampling fields are the job's
     * to decide and are ignored. The messages before the last are the conversation so far (see
     * {@link #earlierTurns}); they are used only when the request names no conversation.
     */
    public static Turn parse(String body, Set<String> models) throws ApiException {
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("The body is not valid JSON: " + e.getOriginalMessage(), null);
        }
        if (root == null || !root.isObject()) {
            throw ApiException.invalid("The body must be a JSON object.", null);
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw ApiException.invalid("you must provide a model parameter", "model");
        }
        if (!models.contains(model.asText())) {
            throw new ApiException(404, "invalid_request_error", "model_not_found", "The model `" + model.asText()
                    + "` does not exist or you do not have access to it. Models: " + models, "model", null);
        }
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalid("'messages' must be a non-empty array.", "messages");
        }
        JsonNode last = messages.get(messages.size() - 1);
        if (!"user".equals(last.path("role").asText())) {
            throw ApiException.invalid("The last message must be the user's.", "messages");
        }
        String text = text(last.get("content"));
        if (text == null || text.isBlank()) {
            throw ApiException.invalid("The last message must have text content.", "messages");
        }
        JsonNode stream = root.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw ApiException.invalid("'stream' must be a boolean.", "stream");
        }
        JsonNode tier = root.get("service_tier");
        if (tier != null && !tier.isNull() && (!tier.isTextual() || !SERVICE_TIERS.contains(tier.asText()))) {
            throw ApiException.invalid("'service_tier' must be one of " + new java.util.TreeSet<>(SERVICE_TIERS) + ".",
                    "service_tier");
        }
        String priority = tier != null && "flex".equals(tier.asText()) ? ChatRequest.BULK : ChatRequest.INTERACTIVE;
        return new Turn(model.asText(), text, stream != null && stream.asBoolean(),
                root.path("stream_options").path("include_usage").asBoolean(false), earlierTurns(messages), priority);
    }

    /**
     * The question and answer pairs of {@code messages} before the last, oldest first, as many of
     * the newest as the job takes ({@link Bounds#MAX_CLIENT_TURNS} turns,
     * {@link Bounds#MAX_CLIENT_HISTORY_CHARS} characters): a user message and the assistant message
     * after it make a turn; a user message without a reply, or a reply without a question, makes a
     * turn with the other side empty. System, developer and tool messages, and assistant messages
     * without text (tool calls), are skipped: the job
     * writes its own instructions, and its context compiler keeps the newest turns that fit the
     * token budget, as it does for the history it keeps itself.
     */
    static List<ConversationTurn> earlierTurns(JsonNode messages) {
        List<ConversationTurn> turns = new ArrayList<>();
        String question = null;
        for (int i = 0; i < messages.size() - 1; i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText();
            String text = Objects.requireNonNullElse(text(m.get("content")), "");
            if (role.equals("user")) {
                if (question != null) {
                    turns.add(ConversationTurn.fromClient(question, ""));
                }
                question = text;
            } else if (role.equals("assistant") && (question != null || !text.isEmpty())) {
                turns.add(ConversationTurn.fromClient(Objects.requireNonNullElse(question, ""), text));
                question = null;
            }
        }
        if (question != null) {
            turns.add(ConversationTurn.fromClient(question, ""));
        }
        int from = turns.size();
        long chars = 0;
        while (from > 0 && turns.size() - from < Bounds.MAX_CLIENT_TURNS) {
            ConversationTurn t = turns.get(from - 1);
            chars += t.question().length() + t.answer().length();
            if (chars > Bounds.MAX_CLIENT_HISTORY_CHARS) {
                break;
            }
            from--;
        }
        return List.copyOf(turns.subList(from, turns.size()));
    }

    /** A message's text: a string, or the text of its {@code {"type": "text"}} parts. */
    private static String text(JsonNode content) {
        if (content == null) {
            return null;
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if ("text".equals(part.path("type").asText())) {
                    text.append(part.path("text").asText());
                }
            }
            return text.toString();
        }
        return null;
    }

    /** Whether {@code conversation} is an id the job accepts. */
    public static boolean validConversation(String conversation) {
        return conversation != null && ID.matcher(conversation).matches();
    }

    /**
     * The {@code chat.requests} payload of a turn; the tenant is the key's, never the caller's word.
     * With a {@code conversationId} the job keeps the history; without one (null) the turn carries
     * its earlier turns. {@code apiKeyId} (null for other credentials) lets the job limit each key.
     */
    public static String request(String requestId, String tenantId, String conversationId, String apiKeyId,
            Turn turn) {
        ObjectNode request = MAPPER.createObjectNode().put("requestId", requestId).put("tenantId", tenantId);
        if (apiKeyId != null) {
            request.put("apiKeyId", apiKeyId);
        }
        if (conversationId != null) {
            request.put("conversationId", conversationId);
        }
        request.put("message", turn.message()).put("answerModel", turn.model());
        if (!ChatRequest.INTERACTIVE.equals(turn.priority())) {
            request.put("priority", turn.priority());
        }
        if (conversationId == null) {
            ArrayNode history = request.putArray("history");
            for (ConversationTurn t : turn.earlier()) {
                history.addObject().put("question", t.question()).put("answer", t.answer());
            }
        }
        return request.toString();
    }

    /** A record on {@code chat.replies} is a rejection when it has a reason. */
    public static boolean isRejection(JsonNode record) {
        return record.has("reason");
    }

    public static boolean isAnswer(JsonNode record) {
        return "answer".equals(record.path("type").asText());
    }

    private static ObjectNode chunkBase(String id, long created, String model) {
        return MAPPER.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                .put("model", model);
    }

    /** A {@code chat.completion.chunk} with {@code content} (and the role, for the first). */
    public static String contentChunk(String id, long created, String model, String content, boolean first) {
        ObjectNode chunk = chunkBase(id, created, model);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (first) {
            delta.put("role", "assistant");
        }
        delta.put("content", content);
        choice.putNull("finish_reason");
        choice.putNull("logprobs");
        return chunk.toString();
    }

    /** The last content chunk: the finish reason, and Sluice's extension with the citations. */
    public static String finishChunk(String id, long created, String model, JsonNode answer) {
        ObjectNode chunk = chunkBase(id, created, model);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.putObject("delta");
        choice.put("finish_reason", finishReason(answer));
        choice.putNull("logprobs");
        chunk.set("sluice", extension(answer));
        return chunk.toString();
    }

    /** The usage chunk OpenAI sends last when {@code stream_options.include_usage} is set. */
    public static String usageChunk(String id, long created, String model, JsonNode answer) {
        ObjectNode chunk = chunkBase(id, created, model);
        chunk.putArray("choices");
        chunk.set("usage", usage(answer));
        return chunk.toString();
    }

    /** One {@code chat.completion} of a whole answer. */
    public static String completion(String id, long created, String model, JsonNode answer) {
        ObjectNode c = MAPPER.createObjectNode().put("id", id).put("object", "chat.completion").put("created", created)
                .put("model", model);
        ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", answer.path("answer").asText())
                .putNull("refusal");
        choice.put("finish_reason", finishReason(answer));
        choice.putNull("logprobs");
        c.set("usage", usage(answer));
        c.set("sluice", extension(answer));
        return c.toString();
    }

    private static String finishReason(JsonNode answer) {
        String reason = answer.path("model").path("finishReason").asText("");
        return reason.equals("length") ? "length" : "stop";
    }

    private static ObjectNode usage(JsonNode answer) {
        long prompt = Math.max(0, answer.path("usage").path("promptTokens").asLong(0));
        long completion = Math.max(0, answer.path("usage").path("completionTokens").asLong(0));
        return MAPPER.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    /**
     * What only Sluice says: the request and conversation, the citations, where history lives, and
     * the job's time per stage.
     */
    private static ObjectNode extension(JsonNode answer) {
        boolean server = !ResponseJson.MODE_CLIENT.equals(answer.path("conversationMode").asText());
        ObjectNode sluice = MAPPER.createObjectNode().put("request_id", answer.path("requestId").asText())
                .put("conversation_mode", server ? ResponseJson.MODE_SERVER : ResponseJson.MODE_CLIENT);
        if (server) {
            sluice.put("conversation_id", answer.path("conversationId").asText());
        }
        ArrayNode citations = sluice.putArray("citations");
        for (JsonNode c : answer.path("citations")) {
            citations.addObject().put("marker", c.path("marker").asInt()).put("title", c.path("title").asText(null))
                    .put("document_id", c.path("documentId").asText()).put("chunk_id", c.path("chunkId").asText());
        }
        sluice.put("history_turns", answer.path("historyTurns").asInt());
        JsonNode grounding = answer.path("grounding");
        sluice.putObject("grounding").put("dropped_markers", grounding.path("droppedMarkers").asInt(0))
                .put("ungrounded", grounding.path("ungrounded").asBoolean(false));
        sluice.put("snapshot_id", answer.path("snapshotId").asText(null));
        sluice.put("model_id", answer.path("modelId").asText(null));
        JsonNode routing = answer.path("routing");
        if (routing.isObject()) {
            ObjectNode r = sluice.putObject("routing").put("profile", routing.path("profile").asText(null))
                    .put("rule", routing.path("rule").asText(null))
                    .put("policy_version", routing.path("policyVersion").asInt());
            ArrayNode skipped = r.putArray("skipped");
            routing.path("skipped").forEach(s -> skipped.addObject().put("profile", s.path("profile").asText())
                    .put("reason", s.path("reason").asText()));
        }
        JsonNode timings = answer.path("timings");
        sluice.putObject("timings").put("embed_ms", timings.path("embedMs").asDouble())
                .put("retrieve_ms", timings.path("retrieveMs").asDouble())
                .put("compile_ms", timings.path("compileMs").asDouble())
                .put("answer_ms", timings.path("answerMs").asDouble());
        return sluice;
    }

    /** The OpenAI error a rejection becomes: the status says whose the problem is. */
    public static ApiException rejection(JsonNode rejection) {
        String reason = rejection.path("reason").asText();
        String detail = rejection.path("detail").asText("") + " (" + reason + ")";
        String requestId = rejection.path("requestId").asText(null);
        return switch (reason) {
            case "PAYLOAD_TOO_LARGE" -> new ApiException(413, "invalid_request_error", "payload_too_large", detail,
                    null, requestId);
            case "INVALID_ENCODING", "MALFORMED_JSON", "MISSING_FIELD", "INVALID_FIELD", "FIELD_TOO_LONG",
                    "PII_DETECTED", "PROMPT_INJECTION" ->
                    new ApiException(400, "invalid_request_error", reason.toLowerCase(Locale.ROOT), detail,
                            null, requestId);
            case "UNKNOWN_TENANT", "MODEL_NOT_ALLOWED" -> new ApiException(403, "permission_error",
                    reason.toLowerCase(Locale.ROOT), detail, null, requestId);
            case "DUPLICATE_REQUEST" -> new ApiException(409, "invalid_request_error", "duplicate_request", detail,
                    null, requestId);
            case "CONVERSATION_BUSY" -> new ApiException(429, "rate_limit_error", "conversation_busy", detail, null,
                    requestId);
            case "RATE_LIMITED" -> new ApiException(429, "rate_limit_error", "rate_limited", detail, null, requestId)
                    .retryingAfter(rejection.path("retryAfterMs").asLong(1000));
            // OpenAI's type for a spent quota; Retry-After is when the period resets, or soon when
            // only running turns hold the budget.
            case "BUDGET_EXHAUSTED" -> new ApiException(429, "insufficient_quota", "budget_exhausted", detail, null,
                    requestId).retryingAfter(rejection.path("retryAfterMs").asLong(1000));
            case "MODEL_FAILED" -> new ApiException(502, "api_error", "model_failed", detail, null, requestId);
            // Every profile that could answer is passed over, mostly for open breakers: try again later.
            case "NO_MODEL_AVAILABLE" -> new ApiException(503, "api_error", "no_model_available", detail, null,
                    requestId);
            // Shed under load (the last step of the degradation ladder): back off a little and retry.
            case "OVERLOADED" -> new ApiException(503, "api_error", "overloaded", detail, null, requestId)
                    .retryingAfter(1000);
            // The job does not accept this gateway's signature: a configuration error of the deployment.
            case "UNAUTHENTICATED" -> new ApiException(500, "api_error", "gateway_not_trusted", "The serving job "
                    + "refused this gateway's signature; check that both use the same signing key. " + detail, null,
                    requestId);
            default -> new ApiException(500, "api_error", reason.toLowerCase(Locale.ROOT), detail, null,
                    requestId);
        };
    }

    /** The JSON body of an error. */
    public static String error(ApiException e) {
        ObjectNode error = MAPPER.createObjectNode();
        ObjectNode body = error.putObject("error").put("message", e.getMessage()).put("type", e.type());
        body.put("code", e.code());
        body.put("param", e.param());
        if (e.requestId() != null) {
            body.put("request_id", e.requestId());
        }
        return error.toString();
    }

    /** {@code GET /v1/models}: Sluice's answer models. */
    public static String models(List<String> models, long created) {
        ObjectNode list = MAPPER.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (String m : models) {
            data.addObject().put("id", m).put("object", "model").put("created", created).put("owned_by", "sluice");
        }
        return list.toString();
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
