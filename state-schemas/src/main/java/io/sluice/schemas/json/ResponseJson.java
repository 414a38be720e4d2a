package io.sluice.schemas.json;

import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.Citation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;

/**
 * The JSON of a {@code chat.responses} record (key: conversationId):
 *
 * <pre>{@code
 * {"requestId", "conversationId", "tenantId", "answer",
 *  "citations": [{"marker", "chunkId", "documentId", "title"}],
 *  "snapshotId", "embeddingModel", "modelId", "historyTurns", "contextTokens", "contextHash",
 *  "timings": {"embedMs", "retrieveMs", "compileMs", "answerMs"}}
 * }</pre>
 *
 * {@code historyTurns} counts the earlier turns of the conversation that the compiled context
 * included (the newest that fit the token budget). Every field but {@code timings} is deterministic, so a record repeated after a recovery carries
 * the same content; readers drop repeats by requestId.
 */
public final class ResponseJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private ResponseJson() {}

    public static String toJson(AnsweredTurn turn) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("requestId", turn.request().requestId());
        root.put("conversationId", turn.request().conversationId());
        root.put("tenantId", turn.request().tenantId());
        root.put("answer", turn.answer());
        ArrayNode citations = root.putArray("citations");
        for (Citation c : turn.citations()) {
            citations.addObject()
                    .put("marker", c.marker())
                    .put("chunkId", c.chunkId())
                    .put("documentId", c.documentId())
                    .put("title", c.title());
        }
        root.put("snapshotId", turn.snapshotId());
        root.put("embeddingModel", turn.embeddingModel());
        root.put("modelId", turn.modelId());
        root.put("historyTurns", turn.historyTurns());
        root.put("contextTokens", turn.contextTokens());
        root.put("contextHash", turn.contextHash());
        root.putObject("timings")
                .put("embedMs", turn.timings().embedMicros() / 1000.0)
                .put("retrieveMs", turn.timings().retrieveMicros() / 1000.0)
                .put("compileMs", turn.timings().compileMicros() / 1000.0)
                .put("answerMs", turn.timings().answerMicros() / 1000.0);
        return write(root);
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
