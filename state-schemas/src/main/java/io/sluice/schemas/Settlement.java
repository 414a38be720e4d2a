package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * How an admitted request ended, for the admission stage's ledger: the request (by its
 * {@code position} in {@code chat.requests}, which names one record), the tokens its generation
 * spent ({@code -1} when the model did not say: the reservation is then kept as spent), and its
 * {@code outcome} ({@code answered}, or the rejection's reason). Travels on {@code chat.usage}, from
 * the stages after admission back to it.
 */
public record Settlement(String tenantId, String requestId, String position, long tokens, String outcome) {

    /** The outcome of a turn that was answered. */
    public static final String ANSWERED = "answered";

    public static final TypeInformation<Settlement> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<Settlement> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<Settlement> typeClass() {
            return Settlement.class;
        }

        @Override
        public void write(Settlement v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.tenantId);
            Fields.writeString(out, v.requestId);
            Fields.writeString(out, v.position);
            out.writeLong(v.tokens);
            Fields.writeString(out, v.outcome);
        }

        @Override
        public Settlement read(int version, DataInputView in) throws IOException {
            return new Settlement(Fields.readString(in), Fields.readString(in), Fields.readString(in), in.readLong(),
                    Fields.readString(in));
        }
    }
}
