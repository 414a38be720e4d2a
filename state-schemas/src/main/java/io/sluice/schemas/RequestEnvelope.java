package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * One record of {@code chat.requests} as it arrived, before validation: its position in the topic
 * (what replay re-reads), its event time and the raw payload (what a rejection carries back).
 */
public record RequestEnvelope(int partition, long offset, long timestamp, String key, String payload) {

    public static final TypeInformation<RequestEnvelope> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1: partition, offset, timestamp, key, payload. */
    public static final class Codec implements RecordCodec<RequestEnvelope> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<RequestEnvelope> typeClass() {
            return RequestEnvelope.class;
        }

        @Override
        public void write(RequestEnvelope v, DataOutputView out) throws IOException {
            out.writeInt(v.partition);
            out.writeLong(v.offset);
            out.writeLong(v.timestamp);
            Fields.writeString(out, v.key);
            Fields.writeString(out, v.payload);
        }

        @Override
        public RequestEnvelope read(int version, DataInputView in) throws IOException {
            return new RequestEnvelope(in.readInt(), in.readLong(), in.readLong(),
                    Fields.readString(in), Fields.readString(in));
        }
    }
}
