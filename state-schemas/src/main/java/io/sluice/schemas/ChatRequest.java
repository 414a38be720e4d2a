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
 * Kafka record, never from the clock.
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
        long offset) {

    public static final TypeInformation<ChatRequest> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<ChatRequest> {
        @Override
        public int version() {
            return 1;
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
            return readFields(in);
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
        }

        static ChatRequest readFields(DataInputView in) throws IOException {
            return new ChatRequest(Fields.readString(in), Fields.readString(in),
                    Fields.readString(in), Fields.readString(in), in.readInt(), in.readInt(),
                    in.readLong(), in.readInt(), in.readLong());
        }
    }
}
