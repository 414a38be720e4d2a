package io.sluice.operators.audit;

import io.sluice.schemas.Hashing;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.TraceParent;
import io.sluice.schemas.json.ResponseJson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;

/**
 * The audit content of one turn: every deterministic input and decision that shaped its answer,
 * as one canonical JSON text (fixed key order, no timings) — the request and its Kafka position (its
 * message as validation left it, with the kinds of personal data it redacted, and the id of the API
 * key it came with),
 * the answer model asked for and, under a routing policy, the profile that answered and why, the pinned snapshot and embedding model, what was retrieved with scores
 * and ranks, what the prompt-injection detector flagged (message families, sources, whether they
 * were left out), the compiled context's hash and size, the answer model's id, version, parameters,
 * seed and usage, what the turn cost by which price table, the full answer and its citations, and
 * where they did not hold up its grounding (markers removed, no source cited) — and the turn's link
 * in the conversation's
 * hash chain. The row hash is the SHA-256 of this text, so it covers the previous hash too.
 *
 * <p>The text is stored verbatim in the {@code content} column; the typed columns beside it are
 * projections for queries, and {@code sluice audit verify} checks they still agree with it.
 */
public final class AuditRecord {

    static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * The field of {@code modelCall} that counts the pieces the model streamed. It keeps the name it
     * had when the row format was fixed: rows keep their content, so replaying older rows does not
     * diverge.
     */
    public static final String MODEL_PIECES_FIELD = "chunks";

    private final ObjectNode content;
    private final String text;

    private AuditRecord(ObjectNode content) {
        this.content = content;
        try {
            this.text = MAPPER.writeValueAsString(content);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The record of {@code turn} at position {@code sequence} of its chain, after {@code previousHash}. */
    public static AuditRecord of(AnsweredTurn turn, long sequence, String previousHash) {
        ChatRequest r = turn.request();
        ObjectNode c = MAPPER.createObjectNode();
        c.put("chainSeq", sequence);
        c.put("prevHash", previousHash);
        c.put("requestId", r.requestId());
        c.put("conversationId", r.conversationId());
        c.put("tenantId", r.tenantId());
        c.put("eventTime", r.eventTime());
        c.put("partition", r.partition());
        c.put("offset", r.offset());
        c.put("message", r.message());
        if (!r.redacted().isEmpty()) {
            // Which detectors fired in the message, never a value (the message holds placeholders).
            ObjectNode redacted = c.putObject("redacted");
            r.redacted().forEach(redacted::put);
        }
        if (r.apiKeyId() != null) {
            // Only when there is one, so rows of requests without a key keep their earlier content.
            c.put("apiKeyId", r.apiKeyId());
        }
        if (r.traceParent() != null
                && !TraceParent.traceId(r.traceParent()).equals(TraceParent.derivedTraceId(r.partition(), r.offset()))) {
            // The trace the caller put the request in (the gateway always does), to find its spans
            // from the row. A trace the job started is named by the position alone: not recorded,
            // so rows of requests without one keep their earlier content.
            c.put("traceId", TraceParent.traceId(r.traceParent()));
        }
        c.put("answerModel", r.answerModel());
        // Each only when it says something, so that rows of interactive, unbudgeted turns keep their
        // earlier content. The budget left depended on when earlier turns settled: replay reads it here.
        if (r.bulk()) {
            c.put("priority", r.priority());
        }
        if (r.budgetLeft() >= 0) {
            c.put("budgetLeft", r.budgetLeft());
        }
        if (!turn.routing().trivial()) {
            // Only under a routing policy or when a profile was passed over, so that rows of jobs
            // without a policy keep their earlier content.
            ResponseJson.putRouting(c, turn.routing());
        }
        c.put("snapshotId", turn.snapshotId());
        c.put("embeddingModel", turn.embeddingModel());
        c.set("retrieved", retrieved(turn));
        if (turn.injection().any()) {
            // Only when something was flagged (rows of clean turns keep their earlier content): the
            // families found, never the text; sources by chunk id, and whether they were left out.
            ObjectNode injection = c.putObject("injection");
            turn.injection().message().forEach(injection.putArray("message")::add);
            var sources = injection.putArray("sources");
            turn.injection().sources().forEach(f -> {
                ObjectNode source = sources.addObject().put("chunkId", f.chunkId());
                f.families().forEach(source.putArray("families")::add);
            });
            injection.put("stripped", turn.injection().stripped());
        }
        c.put("contextHash", turn.contextHash());
        c.put("contextTokens", turn.contextTokens());
        c.put("historyTurns", turn.historyTurns());
        c.put("modelId", turn.modelId());
        c.set("modelCall", modelCall(turn.call()));
        if (turn.cost() != null) {
            // Only with a price table, so that rows of jobs without one keep their earlier content.
            c.putObject("cost").put("usd", turn.cost().usd()).put("priceVersion", turn.cost().priceVersion());
        }
        // Only when a response cache was consulted (a hit is journaled here: replay takes the answer).
        ResponseJson.putCache(c, turn.cache());
        c.put("answer", turn.answer());
        c.set("citations", citations(turn));
        if (!turn.answerRedacted().isEmpty()) {
            // Which detectors fired in the answer, never a value (the answer holds placeholders).
            ObjectNode redacted = c.putObject("answerRedacted");
            turn.answerRedacted().forEach(redacted::put);
        }
        if (!turn.grounding().sound()) {
            // Only when there is something to say, so that rows of sound turns keep the content (and
            // hash) they had before grounding was checked, and older savepoints replay identical.
            c.putObject("grounding").put("droppedMarkers", turn.grounding().droppedMarkers())
                    .put("ungrounded", turn.grounding().ungrounded());
        }
        return new AuditRecord(c);
    }

    /** The record of a turn already linked by the conversation stage. */
    public static AuditRecord of(AnsweredTurn turn) {
        AuditLink link = turn.audit();
        if (link.sequence() < 1) {
            throw new IllegalArgumentException("turn " + turn.request().requestId() + " has no audit link");
        }
        return of(turn, link.sequence(), link.previousHash());
    }

    /**
     * {@code turn} with no more than its row is made of, for a writer that keeps turns in
     * checkpointed state until they are committed: its retrieved chunks without their titles and
     * texts (the row names chunks by id, and the snapshot it names holds them), and a request that
     * brought its own history without those turns (the row keeps the message alone). The source
     * texts were most of a turn's bytes. Its record, and so its hash, stay the same.
     */
    public static AnsweredTurn rowOnly(AnsweredTurn turn) {
        ChatRequest request = turn.request();
        return turn.withInputs(
                request.historyFromClient() ? request.withClientHistory(ConversationHistory.EMPTY) : request,
                turn.retrieved().stream().map(RetrievedChunk::withoutText).toList());
    }

    /** Links {@code turn} after {@code previous} (null for a conversation's first turn). */
    public static AnsweredTurn link(AnsweredTurn turn, AuditLink previous) {
        long sequence = previous == null ? 1 : previous.sequence() + 1;
        String previousHash = previous == null ? AuditLink.GENESIS : previous.hash();
        return turn.withAudit(new AuditLink(sequence, previousHash, of(turn, sequence, previousHash).hash()));
    }

    /** The canonical text: what is stored and hashed. */
    public String text() {
        return text;
    }

    public String hash() {
        return Hashing.sha256Hex(text);
    }

    /** The JSON tree of an audit content text. */
    public static com.fasterxml.jackson.databind.JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    String json(String field) {
        return content.get(field).toString();
    }

    private static ArrayNode retrieved(AnsweredTurn t) {
        ArrayNode list = MAPPER.createArrayNode();
        for (RetrievedChunk c : t.retrieved()) {
            list.addObject().put("chunkId", c.chunkId()).put("score", c.score())
                    .put("bm25Rank", c.bm25Rank()).put("vectorRank", c.vectorRank());
        }
        return list;
    }

    /** The model's version, effective parameters and seed, and what it reported: enough to call it again. */
    private static ObjectNode modelCall(ModelCall c) {
        return MAPPER.createObjectNode()
                .put("modelVersion", c.modelVersion())
                .put("temperature", c.temperature())
                .put("topP", c.topP())
                .put("maxTokens", c.maxTokens())
                .put("seed", c.seed())
                .put("promptTokens", c.promptTokens())
                .put("completionTokens", c.completionTokens())
                .put("finishReason", c.finishReason())
                .put(MODEL_PIECES_FIELD, c.pieces());
    }

    private static ArrayNode citations(AnsweredTurn t) {
        ArrayNode list = MAPPER.createArrayNode();
        for (Citation c : t.citations()) {
            list.addObject().put("marker", c.marker()).put("chunkId", c.chunkId())
                    .put("documentId", c.documentId());
        }
        return list;
    }
}
