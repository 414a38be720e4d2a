package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * What an admitted generation holds until its {@link Settlement} comes back: the worst case of its
 * tokens, and what says which budgets it counts against (its API key, its answer model, and the
 * event time whose day and month it falls in). Kept by the admission stage under the request's
 * position in {@code chat.requests}.
 */
public record Reservation(String requestId, long tokens, String apiKeyId, String answerModel, long eventTime) {

    public static final TypeInformation<Reservation> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<Reservation> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<Reservation> typeClass() {
            return Reservation.class;
        }

        @Override
        public void write(Reservation v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.requestId);
            out.writeLong(v.tokens);
            Fields.writeString(out, v.apiKeyId);
            Fields.writeString(out, v.answerModel);
            out.writeLong(v.eventTime);
        }

        @Override
        public Reservation read(int version, DataInputView in) throws IOException {
            return new Reservation(Fields.readString(in), in.readLong(), Fields.readString(in), Fields.readString(in),
                    in.readLong());
        }
    }
}
