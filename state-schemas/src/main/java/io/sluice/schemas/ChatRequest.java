package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A validated chat request. {@code topK} and {@code contextTokens} are the effective values: the
 * request's own parameters where given, else the tenant's defaults, so every later stage and the
 * audit trail see one number. {@code eventTime}, {@code partition} and {@code offset} come from the
 * Kafka record, never from the clock. {@code answerModel} names the configured answer model that
 * answers it (the request's choice, else its tenant's, else the job's default), resolved at
 * validation so replay sees the same choice. {@code replyPartition} is the partition of the replies
 * topic its answer (or rejection) goes to when a trusted producer asked for one, else {@code -1}
 * ({@code chat.responses}); it routes, it decides nothing, and the audit trail does not record it.
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
        int replyPartition) {

    /** The answer model of requests written before requests named one (codec version 1). */
    public static final String DEFAULT_ANSWER_MODEL = "extractive";

    /** A request answered by the default model. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                DEFAULT_ANSWER_MODEL);
    }

    /** A request whose answer goes to {@code chat.responses}. */
    public ChatRequest(String requestId, String tenantId, String conversationId, String message, int topK,
            int contextTokens, long eventTime, int partition, long offset, String answerModel) {
        this(requestId, tenantId, conversationId, message, topK, contextTokens, eventTime, partition, offset,
                answerModel, -1);
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
        return partition + ":" + offset;
    }

    public static final TypeInformation<ChatRequest> TYPE = new RecordTypeInfo<>(new Codec());

    /**
     * Layout 2 added {@code answerModel}, layout 3 {@code replyPartition}. Records that embed a
     * request ({@link RetrievedRequest}, {@link AnsweredTurn}, ...) write it with {@link #writeFields}
     * and say in their own version which request layout they hold.
     */
    public static final class Codec implements RecordCodec<ChatRequest> {
        /** The request layout {@link #writeFields} writes. */
        static final int LAYOUT = 3;

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
        }

        /** Reads a request written in {@code layout} (1: before answer models, 2: before reply partitions, 3). */
        static ChatRequest readFields(DataInputView in, int layout) throws IOException {
            return new ChatRequest(Fields.readString(in), Fields.readString(in),
                    Fields.readString(in), Fields.readString(in), in.readInt(), in.readInt(),
                    in.readLong(), in.readInt(), in.readLong(),
                    layout >= 2 ? Fields.readString(in) : DEFAULT_ANSWER_MODEL,
                    layout >= 3 ? in.readInt() : -1);
        }
    }
}
