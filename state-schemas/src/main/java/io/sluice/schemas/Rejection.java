package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A request that was not answered: the stage that refused it, a reason code, a human-readable
 * detail and the original payload, so that nothing is lost. The ids are whatever could be read
 * from the payload (null if none). {@code retryAt} is the event time (epoch ms) from which a request
 * refused by a limit would be admitted again, {@code -1} for every other refusal.
 *
 * <p>Bounded by construction: ids, detail and payload echo input, so each is cut to its
 * {@link Bounds} with a marker that names the original's length and hash. No input can make a
 * rejection that a Kafka producer refuses.
 */
public record Rejection(
        String stage,
        RejectReason reason,
        String detail,
        String requestId,
        String tenantId,
        String conversationId,
        String payload,
        int partition,
        long offset,
        long eventTime,
        int replyPartition,
        long retryAt) {

    /** A refusal that no waiting would change. */
    public Rejection(String stage, RejectReason reason, String detail, String requestId, String tenantId,
            String conversationId, String payload, int partition, long offset, long eventTime, int replyPartition) {
        this(stage, reason, detail, requestId, tenantId, conversationId, payload, partition, offset, eventTime,
                replyPartition, -1);
    }

    /** A rejection that goes to {@code chat.rejected}. */
    public Rejection(String stage, RejectReason reason, String detail, String requestId, String tenantId,
            String conversationId, String payload, int partition, long offset, long eventTime) {
        this(stage, reason, detail, requestId, tenantId, conversationId, payload, partition, offset, eventTime, -1);
    }

    public Rejection {
        detail = Bounds.cut(detail, Bounds.DETAIL_CHARS);
        requestId = Bounds.cut(requestId, Bounds.ECHOED_ID_CHARS);
        tenantId = Bounds.cut(tenantId, Bounds.ECHOED_ID_CHARS);
        conversationId = Bounds.cut(conversationId, Bounds.ECHOED_ID_CHARS);
        payload = Bounds.cut(payload, Bounds.ECHOED_PAYLOAD_CHARS);
    }

    /** The rejection of a validated request by {@code stage}; its payload is the message. */
    public static Rejection of(String stage, RejectReason reason, String detail, ChatRequest request) {
        return new Rejection(stage, reason, detail, request.requestId(), request.tenantId(),
                request.conversationId(), request.message(), request.partition(), request.offset(),
                request.eventTime(), request.replyPartition());
    }

    /** The same rejection, saying the request would be admitted from event time {@code retryAt}. */
    public Rejection retryingAt(long retryAt) {
        return new Rejection(stage, reason, detail, requestId, tenantId, conversationId, payload, partition, offset,
                eventTime, replyPartition, retryAt);
    }

    /** Milliseconds from the request's event time to {@link #retryAt}; -1 when waiting would not help. */
    public long retryAfterMillis() {
        return retryAt < 0 ? -1 : Math.max(0, retryAt - eventTime);
    }

    public static final TypeInformation<Rejection> TYPE = new RecordTypeInfo<>(new Codec());

    /**
     * Version 4 added {@code retryAt}, version 3 the reply partition, version 2 the stage; version-1
     * rejections read back with stage {@code unknown}.
     */
    public static final class Codec implements RecordCodec<Rejection> {
        @Override
        public int version() {
            return 4;
        }

        @Override
        public Class<Rejection> typeClass() {
            return Rejection.class;
        }

        @Override
        public void write(Rejection v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.stage);
            out.writeUTF(v.reason.name());
            Fields.writeString(out, v.detail);
            Fields.writeString(out, v.requestId);
            Fields.writeString(out, v.tenantId);
            Fields.writeString(out, v.conversationId);
            Fields.writeString(out, v.payload);
            out.writeInt(v.partition);
            out.writeLong(v.offset);
            out.writeLong(v.eventTime);
            out.writeInt(v.replyPartition);
            out.writeLong(v.retryAt);
        }

        @Override
        public Rejection read(int version, DataInputView in) throws IOException {
            String stage = version >= 2 ? Fields.readString(in) : "unknown";
            return new Rejection(stage, RejectReason.valueOf(in.readUTF()), Fields.readString(in),
                    Fields.readString(in), Fields.readString(in), Fields.readString(in),
                    Fields.readString(in), in.readInt(), in.readLong(), in.readLong(),
                    version >= 3 ? in.readInt() : -1, version >= 4 ? in.readLong() : -1);
        }
    }
}
