package io.sluice.schemas.json;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.RoutingDecision;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;

/**
 * The JSON of a {@code chat.responses} record (key: conversationId). A streamed piece of an answer
 * (its type is {@code chunk}, see {@link #TYPE_PIECE}):
 *
 * <pre>{@code
 * {"type": "chunk", "requestId", "conversationId", "tenantId", "sequence", "text"}
 * }</pre>
 *
 * and the finished turn, always the last record of a request:
 *
 * <pre>{@code
 * {"type": "answer", "requestId", "conversationId", "tenantId", "sequence", "answer",
 *  "citations": [{"marker", "chunkId", "documentId", "title"}], "grounding": {"droppedMarkers", "ungrounded"},
 *  "answerRedacted",
 *  "snapshotId", "embeddingModel", "modelId", "conversationMode", "redacted", "historyTurns", "contextTokens",
 *  "contextHash",
 *  "model": {"version", "temperature", "topP", "maxTokens", "seed", "finishReason"},
 *  "usage": {"promptTokens", "completionTokens"}, "cost": {"usd", "priceVersion"},
 *  "routing": {"policyVersion", "rule", "intent", "profile", "profileVersion", "skipped": [{"profile", "reason"}],
 *              "degradation": {"step", "backlog", "waitedMs"}, "failovers": [{"profile", "modelId", "pieces", "chars"}]}, "responseCache": {"key", "hit", "from"},
 *  "timings": {"embedMs", "retrieveMs", "compileMs", "answerMs"}}
 * }</pre>
 *
 * {@code conversationMode} says where the earlier turns came from: {@code server} (the history the
 * job keeps for a named conversation) or {@code client} (the turns the request brought, see
 * {@link io.sluice.schemas.ChatRequest#historyFromClient()}). {@code historyTurns} counts those that
 * the compiled context included (the newest that fit the token budget). {@code redacted} counts the
 * personal data validation replaced with placeholders, by kind, and {@code answerRedacted} what the
 * conversation stage replaced in the answer. {@code grounding} says how
 * the citations held up (see {@link io.sluice.schemas.Grounding}). {@code cost} is there when the job
 * has a price table ({@link io.sluice.schemas.Cost}). {@code routing} says which model profile
 * answered and why ({@link RoutingDecision}; {@code intent} only under a routing policy). Every field but {@code timings} is
 * deterministic for local models, so a record repeated after a recovery carries the same content;
 * readers drop repeats by requestId and sequence (see {@link ResponseEvent}).
 */
public final class ResponseJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private ResponseJson() {}

    /**
     * The {@code type} of a streamed piece. The value is older than the name: pieces were called
     * chunks when consumers began to match on it, and a new value would silently stop their
     * streaming, so the wire keeps it ("chunk" elsewhere in Sluice is a piece of a document).
     */
    public static final String TYPE_PIECE = "chunk";
    public static final String TYPE_ANSWER = "answer";

    /** The {@code conversationMode} of an answer whose history the job keeps. */
    public static final String MODE_SERVER = "server";
    /** The {@code conversationMode} of an answer whose history the request brought. */
    public static final String MODE_CLIENT = "client";

    public static String toJson(ResponseEvent event) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("type", event.isAnswer() ? TYPE_ANSWER : TYPE_PIECE);
        root.put("requestId", event.requestId());
        root.put("conversationId", event.conversationId());
        root.put("tenantId", event.tenantId());
        root.put("sequence", event.sequence());
        if (event.isAnswer()) {
            putAnswer(root, event.answer());
        } else {
            root.put("text", event.piece());
        }
        return write(root);
    }

    private static void putAnswer(ObjectNode root, AnsweredTurn turn) {
        root.put("answer", turn.answer());
        ArrayNode citations = root.putArray("citations");
        for (Citation c : turn.citations()) {
            citations.addObject()
                    .put("marker", c.marker())
                    .put("chunkId", c.chunkId())
                    .put("documentId", c.documentId())
                    .put("title", c.title());
        }
        root.putObject("grounding").put("droppedMarkers", turn.grounding().droppedMarkers())
                .put("ungrounded", turn.grounding().ungrounded());
        ObjectNode answerRedacted = root.putObject("answerRedacted");
        turn.answerRedacted().forEach(answerRedacted::put);
        if (turn.cost() != null) {
            root.putObject("cost").put("usd", turn.cost().usd()).put("priceVersion", turn.cost().priceVersion());
        }
        root.put("snapshotId", turn.snapshotId());
        root.put("embeddingModel", turn.embeddingModel());
        root.put("modelId", turn.modelId());
        root.put("conversationMode", turn.request().historyFromClient() ? MODE_CLIENT : MODE_SERVER);
        ObjectNode redacted = root.putObject("redacted");
        turn.request().redacted().forEach(redacted::put);
        root.put("historyTurns", turn.historyTurns());
        root.put("contextTokens", turn.contextTokens());
        root.put("contextHash", turn.contextHash());
        ModelCall call = turn.call();
        root.putObject("model")
                .put("version", call.modelVersion())
                .put("temperature", call.temperature())
                .put("topP", call.topP())
                .put("maxTokens", call.maxTokens())
                .put("seed", call.seed())
                .put("finishReason", call.finishReason());
        root.putObject("usage")
                .put("promptTokens", call.promptTokens())
                .put("completionTokens", call.completionTokens());
        putRouting(root, turn.routing());
        putCache(root, turn.cache());
        root.putObject("timings")
                .put("embedMs", turn.timings().embedMicros() / 1000.0)
                .put("retrieveMs", turn.timings().retrieveMicros() / 1000.0)
                .put("compileMs", turn.timings().compileMicros() / 1000.0)
                .put("answerMs", turn.timings().answerMicros() / 1000.0);
    }

    /** Puts {@code decision} as {@code "routing"} into {@code parent}: the one JSON form of answers and audit rows. */
    public static void putRouting(ObjectNode parent, RoutingDecision decision) {
        ObjectNode routing = parent.putObject("routing").put("policyVersion", decision.policyVersion())
                .put("rule", decision.rule());
        if (decision.intent() != null) {
            routing.put("intent", decision.intent());
        }
        routing.put("profile", decision.profile()).put("profileVersion", decision.profileVersion());
        ArrayNode skipped = routing.putArray("skipped");
        decision.skipped().forEach(s -> skipped.addObject().put("profile", s.profile()).put("reason", s.reason()));
        if (decision.degradation() != null) {
            ObjectNode d = routing.putObject("degradation").put("step", decision.degradation().step())
                    .put("backlog", decision.degradation().backlog());
            if (decision.degradation().waited()) {
                d.put("waitedMs", decision.degradation().waitedMs());
            }
        }
        if (!decision.failovers().isEmpty()) {
            // Only when a profile failed while answering, so other rows keep their content.
            ArrayNode failovers = routing.putArray("failovers");
            decision.failovers().forEach(f -> failovers.addObject().put("profile", f.profile())
                    .put("modelId", f.modelId()).put("pieces", f.pieces()).put("chars", f.chars()));
        }
    }

    /** Puts {@code cache} as {@code "responseCache"} into {@code parent} when a cache was consulted. */
    public static void putCache(ObjectNode parent, io.sluice.schemas.CacheUse cache) {
        if (cache != null) {
            var node = parent.putObject("responseCache").put("key", cache.key()).put("hit", cache.hit());
            if (cache.from() != null) {
                node.put("from", cache.from());
            }
        }
    }

    /** The deterministic part of a response: everything but timings. */
    public static JsonNode content(String json) {
        ObjectNode node = (ObjectNode) parse(json);
        node.remove("timings");
        return node;
    }

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
