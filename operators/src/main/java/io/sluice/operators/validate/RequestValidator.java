package io.sluice.operators.validate;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RequestEnvelope;
import io.sluice.schemas.RequestSignature;
import io.sluice.operators.guard.PiiDetector;
import io.sluice.operators.guard.InjectionDetector;
import io.sluice.operators.guard.InjectionGuard;
import io.sluice.operators.guard.PiiGuard;
import io.sluice.schemas.tenants.InjectionPolicy;
import io.sluice.schemas.tenants.PiiPolicy;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 * tenant's model answers, else the job's default. {@code apiKeyId} is optional too: the id of the API
 * key the gateway authenticated the request with (an id like the others), by which limits hold per
 * key. {@code priority} is optional: {@code "interactive"} (the default) or {@code "bulk"} (work that
 * may wait behind interactive turns).
 *
 * <p>Without {@code conversationId} the request brings its conversation's earlier turns itself,
 * oldest first, as OpenAI's stateless API does, and the job keeps no history for it:
 *
 * <pre>{@code
 * {"requestId": "r-2", "tenantId": "acme", "message": "And restores?",
 *  "history": [{"question": "How do snapshots work?", "answer": "They are ..."}]}
 * }</pre>
 *
 * {@code history} is optional there (no earlier turns), refused next to a {@code conversationId}
 * (the job has that history), and bounded: at most {@link Bounds#MAX_CLIENT_TURNS} turns and
 * {@link Bounds#MAX_CLIENT_HISTORY_CHARS} characters, each question and answer a string held to the
 * same character rules as the message.
 * Ids are 1-128 characters of {@code [A-Za-z0-9._:@-]}; the message is non-blank and at most the
 * tenant's {@code maxMessageChars}; parameters are optional and bounded by the tenant.
 *
 * <p>Strict, in this order, and never repairing input: a record larger than {@code maxPayloadBytes}
 * is refused unparsed ({@code PAYLOAD_TOO_LARGE}); bytes that are not UTF-8 are refused
 * ({@code INVALID_ENCODING}); the JSON must be exactly one object, without trailing content,
 * duplicate keys or nesting deeper than {@value #MAX_DEPTH} ({@code MALFORMED_JSON}); with a signing
 * key, a record whose {@link RequestSignature} does not verify, or that has none where one is
 * required, is refused ({@code UNAUTHENTICATED}) once its ids are read; the message
 * must not hold NUL, other control characters than tab, line feed and carriage return, or lone
 * surrogates, which PostgreSQL or Kafka consumers cannot store or parse safely
 * ({@code INVALID_ENCODING}); integers must fit their range, never wrap. Personal data then meets
 * the tenant's {@link PiiPolicy} ({@link PiiGuard}): redacted in the message and brought turns
 * (the default), refused ({@code PII_DETECTED}), or allowed; in an id it is refused unless allowed,
 * and what any rejection echoes back is redacted. Where the tenant's {@link InjectionPolicy} is
 * reject, a message or brought turn the {@link InjectionDetector} flags is refused
 * ({@code PROMPT_INJECTION}); under the other policies the conversation stage records it. Anything else becomes a
 * {@link Rejection} with a reason code, never an exception: bad data must not restart the job.
 */
public final class RequestValidator {

    /** The stage name in rejections and metrics. */
    public static final String STAGE = "validate";

    /** Requests are flat objects; anything deeper is not a request. */
    static final int MAX_DEPTH = 16;
    /** No field of a request needs a longer number; longer ones cost parse time for nothing. */
    static final int MAX_NUMBER_CHARS = 32;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");
    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .maxNumberLength(MAX_NUMBER_CHARS)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private final PiiGuard pii = new PiiGuard(new PiiDetector());
    private final InjectionGuard injection = new InjectionGuard(new InjectionDetector());
    private final TenantRegistry tenants;
    private final AnswerModels answerModels;
    private final int maxPayloadBytes;
    private final byte[] signingKey;
    private final boolean requireSignature;

    /** A validator that accepts unsigned records and checks no signature. */
    public RequestValidator(TenantRegistry tenants, AnswerModels answerModels, int maxPayloadBytes) {
        this(tenants, answerModels, maxPayloadBytes, null, false);
    }

    /**
     * @param signingKey the key signatures are checked with; null checks none
     * @param requireSignature whether unsigned records are refused (needs a key)
     */
    public RequestValidator(TenantRegistry tenants, AnswerModels answerModels, int maxPayloadBytes,
            byte[] signingKey, boolean requireSignature) {
        if (maxPayloadBytes < 1) {
            throw new IllegalArgumentException("the largest request must be at least one byte");
        }
        if (requireSignature && signingKey == null) {
            throw new IllegalArgumentException("requiring signatures needs a signing key");
        }
        this.tenants = tenants;
        this.answerModels = answerModels;
        this.maxPayloadBytes = maxPayloadBytes;
        this.signingKey = signingKey;
        this.requireSignature = requireSignature;
    }

    public ValidationResult validate(RequestEnvelope envelope) {
        byte[] bytes = envelope.payload();
        Parsed p = new Parsed(envelope, pii);
        if (bytes == null) {
            return p.reject(RejectReason.MALFORMED_JSON, "the record has no payload");
        }
        if (bytes.length > maxPayloadBytes) {
            return p.reject(RejectReason.PAYLOAD_TOO_LARGE, "the record has " + bytes.length
                    + " bytes; requests may have at most " + maxPayloadBytes);
        }
        String text;
        try {
            text = decodeUtf8(bytes);
        } catch (InvalidText e) {
            return p.reject(RejectReason.INVALID_ENCODING, e.getMessage());
        }
        p.text = text;
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            return p.reject(RejectReason.MALFORMED_JSON, "payload is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            return p.reject(RejectReason.MALFORMED_JSON, "payload must be a JSON object");
        }
        p.requestId = text(root, "requestId");
        p.tenantId = text(root, "tenantId");
        p.conversationId = text(root, "conversationId");
        // After the ids are read, so that the producer waiting for its request id hears of the refusal.
        if (signingKey != null && (requireSignature || envelope.signature() != null)
                && !RequestSignature.verify(signingKey, envelope.replyPartition(), bytes, envelope.signature())) {
            return p.reject(RejectReason.UNAUTHENTICATED, envelope.signature() == null
                    ? "this job answers signed requests only (sluice.gateway.require-signature); send through "
                            + "the gateway, or sign with the shared key"
                    : "the request's signature does not verify");
        }

        JsonNode conversation = root.get("conversationId");
        // Without a conversation id the request brings its own history: no id of a conversation to check.
        boolean clientHistory = conversation == null || conversation.isNull();
        List<String> idFields = clientHistory ? List.of("requestId", "tenantId")
                : List.of("requestId", "tenantId", "conversationId");
        List<String> required = new ArrayList<>(idFields);
        required.add("message");
        for (String field : required) {
            JsonNode value = root.get(field);
            if (value == null || value.isNull() || (value.isTextual() && value.asText().isBlank())) {
                return p.reject(RejectReason.MISSING_FIELD, "'" + field + "' is required"
                        + (field.equals("conversationId") ? " when given (leave it out to send the history)" : ""));
            }
            if (!value.isTextual()) {
                return p.reject(RejectReason.INVALID_FIELD, "'" + field + "' must be a string");
            }
        }
        for (String field : idFields) {
            if (!ID.matcher(root.get(field).asText()).matches()) {
                return p.reject(RejectReason.INVALID_FIELD, "'" + field
                        + "' must be 1-128 characters of letters, digits and . _ : @ -");
            }
        }
        JsonNode key = root.get("apiKeyId");
        String apiKeyId = key == null || key.isNull() ? null : key.asText();
        if (key != null && !key.isNull() && !(key.isTextual() && ID.matcher(apiKeyId).matches())) {
            return p.reject(RejectReason.INVALID_FIELD,
                    "'apiKeyId' must be 1-128 characters of letters, digits and . _ : @ - (or left out)");
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
        String unsafe = unsafeCharacter(message);
        if (unsafe != null) {
            return p.reject(RejectReason.INVALID_ENCODING, "'message' " + unsafe);
        }

        ConversationHistory history = null;
        JsonNode turns = root.get("history");
        if (!clientHistory && turns != null && !turns.isNull()) {
            return p.reject(RejectReason.INVALID_FIELD, "'history' is for requests without a 'conversationId'; "
                    + "the job keeps the history of conversation '" + p.conversationId + "'");
        }
        if (clientHistory) {
            try {
                history = clientHistory(turns);
            } catch (InvalidHistory e) {
                return p.reject(e.reason, e.getMessage());
            }
        }

        // After the message and turns are known to be well-formed text, before anything keeps them.
        PiiGuard.Guarded guarded;
        try {
            pii.checkId(t.pii(), "requestId", p.requestId);
            pii.checkId(t.pii(), "conversationId", clientHistory ? null : p.conversationId);
            pii.checkId(t.pii(), "apiKeyId", apiKeyId);
            guarded = pii.apply(t.pii(), message, history);
        } catch (PiiGuard.Refused e) {
            return p.reject(RejectReason.PII_DETECTED, e.getMessage());
        }
        if (t.injection() == InjectionPolicy.REJECT) {
            List<String> families = injection.families(guarded.message(), guarded.history());
            if (!families.isEmpty()) {
                return p.reject(RejectReason.PROMPT_INJECTION, "the request looks like a prompt-injection attempt ("
                        + String.join(", ", families) + ") and tenant policy is to refuse it");
            }
        }
        if (guarded.message().length() > Bounds.MAX_MESSAGE_CHARS) {
            // Placeholders can be longer than what they replace ("a@b.co" becomes "[EMAIL_1]").
            return p.reject(RejectReason.FIELD_TOO_LONG, "'message' has more than " + Bounds.MAX_MESSAGE_CHARS
                    + " characters once personal data is replaced by placeholders");
        }

        // The models in force when the request was written (a routing policy may have versions).
        AnswerModels models = answerModels.at(envelope.timestamp());
        String answerModel = t.answerModel() != null ? t.answerModel() : models.defaultModel();
        JsonNode model = root.get("answerModel");
        if (model != null && !model.isNull()) {
            if (!model.isTextual() || !models.contains(model.asText())) {
                return p.reject(RejectReason.INVALID_FIELD, "'answerModel' must be one of " + models.names());
            }
            answerModel = model.asText();
        }
        if (!t.allows(answerModel)) {
            return p.reject(RejectReason.MODEL_NOT_ALLOWED, "tenant '" + t.id() + "' may not use answer model '"
                    + answerModel + "'; its models: " + t.allowed(models.names()));
        }

        int topK = t.topK();
        int contextTokens = t.contextTokens();
        JsonNode params = root.get("parameters");
        if (params != null && !params.isNull()) {
            if (!params.isObject()) {
                return p.reject(RejectReason.INVALID_FIELD, "'parameters' must be an object");
            }
            JsonNode k = params.get("topK");
            if (k != null && !k.isNull()) { // null, like absent: the tenant's default
                if (!isIntIn(k, 1, t.maxTopK())) {
                    return p.reject(RejectReason.INVALID_FIELD,
                            "'parameters.topK' must be an integer in [1, " + t.maxTopK() + "]");
                }
                topK = k.intValue();
            }
            JsonNode c = params.get("contextTokens");
            if (c != null && !c.isNull()) {
                if (!isIntIn(c, 64, t.maxContextTokens())) {
                    return p.reject(RejectReason.INVALID_FIELD,
                            "'parameters.contextTokens' must be an integer in [64, " + t.maxContextTokens() + "]");
                }
                contextTokens = c.intValue();
            }
        }
        JsonNode priority = root.get("priority");
        if (priority != null && !priority.isNull()
                && (!priority.isTextual() || !ChatRequest.PRIORITIES.contains(priority.asText()))) {
            return p.reject(RejectReason.INVALID_FIELD, "'priority' must be one of " + ChatRequest.PRIORITIES);
        }
        String conversationId = clientHistory
                ? ChatRequest.clientConversationId(envelope.partition(), envelope.offset()) : p.conversationId;
        return new ValidationResult.Valid(new ChatRequest(p.requestId, p.tenantId, conversationId,
                guarded.message(), topK, contextTokens, envelope.timestamp(), envelope.partition(),
                envelope.offset(), answerModel, envelope.replyPartition(), guarded.history(), guarded.redacted(),
                apiKeyId, priority == null || priority.isNull() ? ChatRequest.INTERACTIVE : priority.asText(), -1,
                envelope.traceParent()));
    }

    /** The turns a request without a conversation id brings ({@code history}; absent or null: none). */
    private static ConversationHistory clientHistory(JsonNode turns) throws InvalidHistory {
        if (turns == null || turns.isNull()) {
            return ConversationHistory.EMPTY;
        }
        if (!turns.isArray()) {
            throw new InvalidHistory(RejectReason.INVALID_FIELD,
                    "'history' must be an array of {\"question\", \"answer\"} objects, oldest first");
        }
        if (turns.size() > Bounds.MAX_CLIENT_TURNS) {
            throw new InvalidHistory(RejectReason.FIELD_TOO_LONG, "'history' has " + turns.size()
                    + " turns; a request may bring at most " + Bounds.MAX_CLIENT_TURNS);
        }
        List<ConversationTurn> read = new ArrayList<>(turns.size());
        long chars = 0;
        for (int i = 0; i < turns.size(); i++) {
            JsonNode turn = turns.get(i);
            if (!turn.isObject()) {
                throw new InvalidHistory(RejectReason.INVALID_FIELD, "'history[" + i + "]' must be an object");
            }
            String[] texts = new String[2];
            String[] names = {"question", "answer"};
            for (int f = 0; f < 2; f++) {
                String field = "'history[" + i + "]." + names[f] + "'";
                JsonNode value = turn.get(names[f]);
                if (value == null || !value.isTextual()) {
                    throw new InvalidHistory(RejectReason.INVALID_FIELD, field + " must be a string");
                }
                texts[f] = value.asText();
                String unsafe = unsafeCharacter(texts[f]);
                if (unsafe != null) {
                    throw new InvalidHistory(RejectReason.INVALID_ENCODING, field + " " + unsafe);
                }
                chars += texts[f].length();
            }
            if (chars > Bounds.MAX_CLIENT_HISTORY_CHARS) {
                throw new InvalidHistory(RejectReason.FIELD_TOO_LONG, "'history' has more than "
                        + Bounds.MAX_CLIENT_HISTORY_CHARS + " characters (questions and answers together)");
            }
            read.add(ConversationTurn.fromClient(texts[0], texts[1]));
        }
        return new ConversationHistory(read);
    }

    /** A {@code history} the request may not bring, and why. */
    private static final class InvalidHistory extends Exception {
        private static final long serialVersionUID = 1L;
        final transient RejectReason reason;

        InvalidHistory(RejectReason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    /** An integral JSON number (no fraction, no exponent form) that fits an int and lies in [min, max]. */
    private static boolean isIntIn(JsonNode n, int min, int max) {
        return n.isIntegralNumber() && n.canConvertToInt() && n.intValue() >= min && n.intValue() <= max;
    }

    private static String text(JsonNode root, String field) {
        JsonNode v = root.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** Strict UTF-8: malformed or unmappable bytes are an error, never replaced. */
    static String decodeUtf8(byte[] bytes) throws InvalidText {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            throw new InvalidText("payload is not valid UTF-8 (bad byte sequence at byte " + in.position() + ")");
        }
        result = decoder.flush(out);
        if (result.isError()) {
            throw new InvalidText("payload is not valid UTF-8 (truncated sequence at the end)");
        }
        return out.flip().toString();
    }

    /**
     * What makes {@code text} unsafe to store and forward, or null: NUL and other C0 control
     * characters except tab, line feed and carriage return, and surrogates that are not part of a pair.
     */
    static String unsafeCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return "contains the control character U+" + String.format("%04X", (int) c) + " at " + i;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "contains a lone surrogate at " + i;
            }
            if (Character.isLowSurrogate(c)) {
                return "contains a lone surrogate at " + i;
            }
        }
        return null;
    }

    /** Text that cannot be accepted as it is. */
    static final class InvalidText extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidText(String message) {
            super(message, null, false, false);
        }
    }

    /** The ids read so far, so that a rejection carries whatever could be identified. */
    private static final class Parsed {
        final PiiGuard guard;
        final RequestEnvelope envelope;
        String text;
        String requestId;
        String tenantId;
        String conversationId;

        Parsed(RequestEnvelope envelope, PiiGuard guard) {
            this.envelope = envelope;
            this.guard = guard;
        }

        ValidationResult reject(RejectReason reason, String detail) {
            // The echoed payload: the decoded text (Rejection cuts it to its bound), or for bytes
            // that were too many or not UTF-8, their start and the length and hash of all of them;
            // redacted, like the ids.
            String payload = text != null ? text
                    : Bounds.echo(envelope.payload(), Bounds.ECHOED_PAYLOAD_CHARS);
            List<String> echoed = guard.echo(requestId, conversationId, payload); // one numbering for all three
            // A request naming a reply partition came through a gateway, which made its id (a UUID) and
            // waits on exactly that id: redacted, a false finding in it would leave the client waiting.
            String echoedId = envelope.replyPartition() >= 0 ? requestId : echoed.get(0);
            return new ValidationResult.Rejected(new Rejection(STAGE, reason, detail, echoedId, tenantId,
                    echoed.get(1), echoed.get(2), envelope.partition(), envelope.offset(), envelope.timestamp(),
                    envelope.replyPartition()));
        }
    }
}
