package io.sluice.schemas.tenants;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.List;

/**
 * The limits updates of one tenant the admission stage keeps, in order of version (keyed state
 * {@code limits-history}). Which one holds for a request is the admission stage's decision.
 */
public record LimitsHistory(List<LimitsUpdate> updates) {

    public static final LimitsHistory EMPTY = new LimitsHistory(List.of());

    public static final TypeInformation<LimitsHistory> TYPE = new RecordTypeInfo<>(new Codec());

    public LimitsHistory {
        updates = List.copyOf(updates);
    }

    /** The highest version held, 0 when none. */
    public long latestVersion() {
        return updates.isEmpty() ? 0 : updates.get(updates.size() - 1).version();
    }

    /** Version 1. */
    public static final class Codec implements RecordCodec<LimitsHistory> {
        private final LimitsUpdate.Codec update = new LimitsUpdate.Codec();

        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<LimitsHistory> typeClass() {
            return LimitsHistory.class;
        }

        @Override
        public void write(LimitsHistory v, DataOutputView out) throws IOException {
            Fields.writeList(out, v.updates, update::write);
        }

        @Override
        public LimitsHistory read(int version, DataInputView in) throws IOException {
            return new LimitsHistory(Fields.readList(in, i -> update.read(1, i)));
        }
    }
}
