package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A validated chat request. {@code topK} and {@code contextTokens} are the effective values: the
 * request's own parameters where given, else the tenant's defaults, so every later stage and the
 * audit trail see one number. {@code eventTime}, {@code partition} and {@code offset} come from the
 * Kafka record, never from the clock. {@code answerModel} names the configured answer model that
 * answers it (the request's choice, else its tenant's, else the job's default), resolved at
 * validation so replay sees the same choice. {@code replyPartition} is the partition of the replies
 * topic its answer (or rejection) goes to when a trusted producer asked for one, else {@code -1}
 * ({@code chat.responses}); it routes, it decides nothing, and the audit trail does not record it.
 *
 * <p>{@code clientHistory} is null when the job keeps the conversation's history (the request named
 * a conversation). A request that named none brings its earlier turns itself, oldest first (possibly
 * none), the way OpenAI's stateless API does; its {@code conversationId} is then
 * {@link #clientConversationId}, unique to the record, so that no state outlives the turn. Its turns
 * have no request id or event time and are counted against the context budget like any history.
 *
 * <p>{@code redacted} counts the personal data validation replaced with placeholders in the message
 * and the brought turns, by kind ({@code EMAIL} → 2), in name order; empty when nothing was found
 * or the tenant allows it. It records which detectors fired, never a value.
 *
 * <p>{@code apiKeyId} names the API key the gateway authenticated the request with (the id part of
 * {@code sk-sluice-<id>-<secret>}, never the secret), so that limits can hold per key; null for
 * requests written to Kafka directly or authenticated otherwise.
 *
 * <p>{@code priority} is {@link #INTERACTIVE} (someone is waiting; the default) or {@link #BULK}
 * (work that may wait, such as an evaluation run or a nightly batch): bulk turns wait behind every
 * interactive one for a model and are degraded first under load, and routing rules may send them
 * elsewhere. {@code budgetLeft} is what the admission stage found left of the tenant's tightest token
 * budget the turn counts toward, after reserving the turn's worst case, in whole percent (0-100), or
 * {@code -1} when it counts toward none; routing rules may route on it. It depends on when earlier
 * turns settled, so the audit row records it and replay takes it from there.
 *
 * <p>{@code traceParent} is the W3C trace context the request travels in ({@link TraceParent}): the
 * one its record came with, and, while the job traces, the span of the stage it last passed, so that
 * each stage's span is the child of the one before; null when it came without one and nothing traces.
 * It correlates; it decides nothing.
 */
public record ChatRequest(
        String requestId,
        String tenantId,
        String conversationId,
        String message,
        int topK,
        int contextTokens,
        long eventTime,
        int partition,
        long offset,
        String answerModel,
        int replyPartition,
        ConversationHistory clientHistory,
        SortedMap<String, Integer> redacted,
        String apiKeyId,
        String priority,
        int budgetLeft,
        String traceParent) {

    /** The priority of a request someone waits for: the default. */
    public static final String INTERACTIVE = "interactive";
    /** The priority of work that may wait. */
    public static final String BULK = "bulk";
    /** Every priority, highest first. */
    public static final List<String> PRIORITIES = List.of(INTERACTIVE, BULK);

    public ChatRequest {
        // A private TreeMap, exposed read-only: a wrapper would not survive Flink's generic copying.
        redacted = redacted == null ? new TreeMap<>() : new TreeMap<>(redacted);
        priority = priority == null ? INTERACTIVE : priority;
        if (!PRIORITIES.contains(priority)) {
            throw new IllegalArgumentException("priority must be one of " + PRIORITIES + ", not " + priority);
        }
        if (budgetLeft < -1 || budgetLeft > 100) {
            throw new IllegalArgumentException("budgetLeft is a percentage or -1, not " + budgetLeft);
        }
    }

    /** A request outside any trace. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset, String answerModel, int replyPartition,
            ConversationHistory clientHistory, SortedMap<String, Integer> redacted, String apiKeyId, String priority,
            int budgetLeft) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                answerModel, replyPartition, clientHistory, redacted, apiKeyId, priority, budgetLeft, null);
    }

    /** An interactive request, before admission looked at budgets. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset, String answerModel, int replyPartition,
            ConversationHistory clientHistory, SortedMap<String, Integer> redacted, String apiKeyId) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                answerModel, replyPartition, clientHistory, redacted, apiKeyId, INTERACTIVE, -1);
    }

    /** Whether the request's work may wait ({@link #BULK}). */
    public boolean bulk() {
        return BULK.equals(priority);
    }

    /** This request with {@code percent} of its tenant's tightest budget left (see the class comment). */
    public ChatRequest withBudgetLeft(int percent) {
        return new ChatRequest(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition,
                offset, answerModel, replyPartition, clientHistory, redacted, apiKeyId, priority, percent, traceParent);
    }

    /** This request in the trace context {@code parent} (a stage's span, see the class comment). */
    public ChatRequest withTraceParent(String parent) {
        return new ChatRequest(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition,
                offset, answerModel, replyPartition, clientHistory, redacted, apiKeyId, priority, budgetLeft, parent);
    }

    /**
     * This request with {@code history} as the turns it brought (null: it brought none, and names a
     * conversation the job keeps).
     */
    public ChatRequest withClientHistory(ConversationHistory history) {
        return new ChatRequest(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition,
                offset, answerModel, replyPartition, history, redacted, apiKeyId, priority, budgetLeft, traceParent);
    }

    /** The kinds of personal data redacted, with their counts, in name order; read-only. */
    @Override
    public SortedMap<String, Integer> redacted() {
        return Collections.unmodifiableSortedMap(redacted);
    }

    /** A request sent without an API key. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset, String answerModel, int replyPartition,
            ConversationHistory clientHistory, SortedMap<String, Integer> redacted) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                answerModel, replyPartition, clientHistory, redacted, null);
    }

    /** A request in which nothing was redacted. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset, String answerModel, int replyPartition,
            ConversationHistory clientHistory) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                answerModel, replyPartition, clientHistory, null);
    }

    /** The answer model of requests written before requests named one (codec version 1). */
    public static final String DEFAULT_ANSWER_MODEL = "extractive";

    /** A request answered by the default model. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                DEFAULT_ANSWER_MODEL);
    }

    /** A request whose history the job keeps. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset, String answerModel, int replyPartition) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                answerModel, replyPartition, null, null);
    }

    /** A request whose history the job keeps and whose answer goes to {@code chat.responses}. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset, String answerModel) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                answerModel, -1);
    }

    /**
     * Starts the conversation id of every request that brings its own history. Client ids never
     * contain it, so such a request never reads or writes a named conversation's state.
     */
    public static final String CLIENT_CONVERSATION_PREFIX = "~";

    /**
     * The conversation id of a request that brings its own history and was read from
     * {@code partition:offset}: one per record, the same whenever the record is read again.
     */
    public static String clientConversationId(int partition, long offset) {
        return CLIENT_CONVERSATION_PREFIX + partition + ":" + offset;
    }

    /** Whether the request brought its own history instead of naming a conversation the job keeps. */
    public boolean historyFromClient() {
        return clientHistory != null;
    }

    /** Separates the tenant from the conversation in {@link #conversationKey}; valid ids never contain it. */
    public static final char KEY_SEPARATOR = '/';

    /**
     * The key of a conversation's state: its tenant and its id. Conversation ids are the clients'
     * and need not be unique across tenants, so every piece of conversation state and every audit
     * chain is keyed by both.
     */
    public static String conversationKey(String tenantId, String conversationId) {
        return tenantId + KEY_SEPARATOR + conversationId;
    }

    /** See {@link #conversationKey(String, String)}. */
    public String conversationKey() {
        return conversationKey(tenantId, conversationId);
    }

    /**
     * Where the request is in {@code chat.requests}, as {@code partition:offset}: unique per record,
     * where request ids are only unique within a conversation for a while. Journals key turns by it.
     */
    public String position() {
        return position(partition, offset);
    }

    /** The position of the record at {@code offset} of {@code partition}: how journals and ledgers key requests. */
    public static String position(int partition, long offset) {
        return partition + ":" + offset;
    }

    public static final TypeInformation<ChatRequest> TYPE = new RecordTypeInfo<>(new Codec());

    /**
     * Layout 2 added {@code answerModel}, layout 3 {@code replyPartition}, layout 4
     * {@code clientHistory} (a count, -1 for none, then question and answer of each turn), layout 5
     * {@code redacted} (a count, then kind and number of each), layout 6 {@code apiKeyId}, layout 7
     * {@code priority} and {@code budgetLeft}, layout 8 {@code traceParent}. Records that embed a
     * request ({@link RetrievedRequest}, {@link AnsweredTurn}, ...) write it with {@link #writeFields}
     * and say in their own version which request layout they hold.
     */
    public static final class Codec implements RecordCodec<ChatRequest> {
        /** The request layout {@link #writeFields} writes. */
        static final int LAYOUT = 8;

        @Override
        public int version() {
            return LAYOUT;
        }

        @Override
        public Class<ChatRequest> typeClass() {
            return ChatRequest.class;
        }

        @Override
        public void write(ChatRequest v, DataOutputView out) throws IOException {
            writeFields(v, out);
        }

        @Override
        public ChatRequest read(int version, DataInputView in) throws IOException {
            return readFields(in, version);
        }

        static void writeFields(ChatRequest v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.requestId);
            Fields.writeString(out, v.tenantId);
            Fields.writeString(out, v.conversationId);
            Fields.writeString(out, v.message);
            out.writeInt(v.topK);
            out.writeInt(v.contextTokens);
            out.writeLong(v.eventTime);
            out.writeInt(v.partition);
            out.writeLong(v.offset);
            Fields.writeString(out, v.answerModel);
            out.writeInt(v.replyPartition);
            if (v.clientHistory == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(v.clientHistory.turns().size());
                for (ConversationTurn t : v.clientHistory.turns()) {
                    Fields.writeString(out, t.question());
                    Fields.writeString(out, t.answer());
                }
            }
            out.writeInt(v.redacted.size());
            for (var e : v.redacted.entrySet()) {
                Fields.writeString(out, e.getKey());
                out.writeInt(e.getValue());
            }
            Fields.writeString(out, v.apiKeyId);
            Fields.writeString(out, v.priority);
            out.writeInt(v.budgetLeft);
            Fields.writeString(out, v.traceParent);
        }

        /**
         * Reads a request written in {@code layout} (1: before answer models, 2: before reply
         * partitions, 3: before client history, 4: before redaction counts, 5: before API key ids, 6: before
         * priorities and budgets left, 7: before trace context, 8).
         */
        static ChatRequest readFields(DataInputView in, int layout) throws IOException {
            return new ChatRequest(Fields.readString(in), Fields.readString(in),
                    Fields.readString(in), Fields.readString(in), in.readInt(), in.readInt(),
                    in.readLong(), in.readInt(), in.readLong(),
                    layout >= 2 ? Fields.readString(in) : DEFAULT_ANSWER_MODEL,
                    layout >= 3 ? in.readInt() : -1,
                    layout >= 4 ? readClientHistory(in) : null,
                    layout >= 5 ? readRedacted(in) : null,
                    layout >= 6 ? Fields.readString(in) : null,
                    layout >= 7 ? Fields.readString(in) : INTERACTIVE,
                    layout >= 7 ? in.readInt() : -1,
                    layout >= 8 ? Fields.readString(in) : null);
        }

        private static SortedMap<String, Integer> readRedacted(DataInputView in) throws IOException {
            int count = in.readInt();
            SortedMap<String, Integer> redacted = new TreeMap<>();
            for (int i = 0; i < count; i++) {
                redacted.put(Fields.readString(in), in.readInt());
            }
            return redacted;
        }

        private static ConversationHistory readClientHistory(DataInputView in) throws IOException {
            int count = in.readInt();
            if (count < 0) {
                return null;
            }
            List<ConversationTurn> turns = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                turns.add(ConversationTurn.fromClient(Fields.readString(in), Fields.readString(in)));
            }
            return new ConversationHistory(turns);
        }
    }
}
