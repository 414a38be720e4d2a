package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One record of {@code chat.requests} as it arrived, before validation: its position in the topic
 * (what replay re-reads), its event time and the raw payload bytes, and two Kafka headers a trusted
 * producer may set: the partition of the replies topic its answer goes to ({@code -1}: none, the
 * answer goes to {@code chat.responses}) and its {@link RequestSignature}. The bytes are kept as
 * they came so that validation, not the source, decides what is valid UTF-8: a decoder that replaced
 * bad bytes would repair input silently.
 */
public record RequestEnvelope(int partition, long offset, long timestamp, byte[] payload, int replyPartition,
        String signature, String traceParent) {

    /** An envelope without a traceparent header. */
    public RequestEnvelope(int partition, long offset, long timestamp, byte[] payload, int replyPartition,
            String signature) {
        this(partition, offset, timestamp, payload, replyPartition, signature, null);
    }

    /** An envelope without reply partition, signature or traceparent. */
    public RequestEnvelope(int partition, long offset, long timestamp, byte[] payload) {
        this(partition, offset, timestamp, payload, -1, null);
    }

    /** An envelope of a text payload, as UTF-8 (tests and tools). */
    public static RequestEnvelope ofText(int partition, long offset, long timestamp, String payload) {
        return new RequestEnvelope(partition, offset, timestamp,
                payload == null ? null : payload.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestEnvelope e && partition == e.partition && offset == e.offset
                && timestamp == e.timestamp && Arrays.equals(payload, e.payload)
                && replyPartition == e.replyPartition && java.util.Objects.equals(signature, e.signature)
                && java.util.Objects.equals(traceParent, e.traceParent);
    }

    @Override
    public int hashCode() {
        return 31 * Long.hashCode(offset) + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "RequestEnvelope[" + partition + ":" + offset + ", " + (payload == null ? "null" : payload.length + " bytes")
                + "]";
    }

    public static final TypeInformation<RequestEnvelope> TYPE = new RecordTypeInfo<>(new Codec());

    /**
     * Version 4: partition, offset, timestamp, payload bytes, reply partition, signature, traceparent
     * (a valid header's value, else null). Version 3 had no traceparent, version 2 neither the
     * reply partition nor the signature; version 1 also had the record key and held the payload as text, which reads
     * back as that text's UTF-8 bytes.
     */
    public static final class Codec implements RecordCodec<RequestEnvelope> {
        @Override
        public int version() {
            return 4;
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
            if (v.payload == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(v.payload.length);
                out.write(v.payload);
            }
            out.writeInt(v.replyPartition);
            Fields.writeString(out, v.signature);
            Fields.writeString(out, v.traceParent);
        }

        @Override
        public RequestEnvelope read(int version, DataInputView in) throws IOException {
            int partition = in.readInt();
            long offset = in.readLong();
            long timestamp = in.readLong();
            if (version < 2) {
                Fields.readString(in); // the key, unused
                return ofText(partition, offset, timestamp, Fields.readString(in));
            }
            int length = in.readInt();
            byte[] payload = null;
            if (length >= 0) {
                payload = new byte[length];
                in.readFully(payload);
            }
            if (version < 3) {
                return new RequestEnvelope(partition, offset, timestamp, payload);
            }
            int replyPartition = in.readInt();
            String signature = Fields.readString(in);
            return new RequestEnvelope(partition, offset, timestamp, payload, replyPartition, signature,
                    version >= 4 ? Fields.readString(in) : null);
        }
    }
}
