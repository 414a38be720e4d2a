package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A request that was not answered, with a reason code, a human-readable detail and the original
 * payload, so that nothing is lost. The ids are whatever could be read from the payload (null if
 * none).
 */
public record Rejection(
        RejectReason reason,
        String detail,
        String requestId,
        String tenantId,
        String conversationId,
        String payload,
        int partition,
        long offset,
        long eventTime) {

    public static final TypeInformation<Rejection> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<Rejection> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<Rejection> typeClass() {
            return Rejection.class;
        }

        @Override
        public void write(Rejection v, DataOutputView out) throws IOException {
            out.writeUTF(v.reason.name());
            Fields.writeString(out, v.detail);
            Fields.writeString(out, v.requestId);
            Fields.writeString(out, v.tenantId);
            Fields.writeString(out, v.conversationId);
            Fields.writeString(out, v.payload);
            out.writeInt(v.partition);
            out.writeLong(v.offset);
            out.writeLong(v.eventTime);
        }

        @Override
        public Rejection read(int version, DataInputView in) throws IOException {
            return new Rejection(RejectReason.valueOf(in.readUTF()), Fields.readString(in),
                    Fields.readString(in), Fields.readString(in), Fields.readString(in),
                    Fields.readString(in), in.readInt(), in.readLong(), in.readLong());
        }
    }
}
