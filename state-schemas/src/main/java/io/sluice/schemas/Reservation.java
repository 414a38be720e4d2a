package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.List;

/**
 * What an admitted generation holds until its {@link Settlement} comes back: the worst case of its
 * tokens, and what says which budgets it counts against (its API key, its answer model, and the
 * event time whose day and month it falls in), and the keys of the budgets it was charged to
 * ({@code budgetKeys}; null in reservations kept before version 2), which its settlement releases.
 * Kept by the admission stage under the request's position in {@code chat.requests}.
 */
public record Reservation(String requestId, long tokens, String apiKeyId, String answerModel, long eventTime,
        List<String> budgetKeys) {

    public Reservation {
        budgetKeys = budgetKeys == null ? null : List.copyOf(budgetKeys);
    }

    /** A reservation that does not say which budgets it holds (read from version 1). */
    public Reservation(String requestId, long tokens, String apiKeyId, String answerModel, long eventTime) {
        this(requestId, tokens, apiKeyId, answerModel, eventTime, null);
    }

    public static final TypeInformation<Reservation> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 2 added {@code budgetKeys}. */
    public static final class Codec implements RecordCodec<Reservation> {
        @Override
        public int version() {
            return 2;
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
            out.writeBoolean(v.budgetKeys != null);
            if (v.budgetKeys != null) {
                Fields.writeList(out, v.budgetKeys, (k, o) -> Fields.writeString(o, k));
            }
        }

        @Override
        public Reservation read(int version, DataInputView in) throws IOException {
            Reservation r = new Reservation(Fields.readString(in), in.readLong(), Fields.readString(in),
                    Fields.readString(in), in.readLong());
            if (version >= 2 && in.readBoolean()) {
                return new Reservation(r.requestId, r.tokens, r.apiKeyId, r.answerModel, r.eventTime,
                        Fields.readList(in, Fields::readString));
            }
            return r;
        }
    }
}
