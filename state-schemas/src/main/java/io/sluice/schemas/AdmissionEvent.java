package io.sluice.schemas;

import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;
import io.sluice.schemas.tenants.LimitsUpdate;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * What reaches the admission stage beside requests, keyed by tenant: a {@link Settlement} of an
 * admitted turn (from {@code chat.usage}) or a {@link LimitsUpdate} of the tenant's limits (from
 * {@code chat.tenant-limits}). Exactly one is set.
 */
public record AdmissionEvent(Settlement settlement, LimitsUpdate limits) {

    public static final TypeInformation<AdmissionEvent> TYPE = new RecordTypeInfo<>(new Codec());

    public AdmissionEvent {
        if ((settlement == null) == (limits == null)) {
            throw new IllegalArgumentException("an admission event is a settlement or a limits update");
        }
    }

    public static AdmissionEvent of(Settlement settlement) {
        return new AdmissionEvent(settlement, null);
    }

    public static AdmissionEvent of(LimitsUpdate limits) {
        return new AdmissionEvent(null, limits);
    }

    /** The tenant it is about: the stage's key. */
    public String tenantId() {
        return settlement != null ? settlement.tenantId() : limits.tenantId();
    }

    /** Version 1: a tag (0 settlement, 1 limits update) and the record. */
    public static final class Codec implements RecordCodec<AdmissionEvent> {
        private final Settlement.Codec settlements = new Settlement.Codec();
        private final LimitsUpdate.Codec updates = new LimitsUpdate.Codec();

        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<AdmissionEvent> typeClass() {
            return AdmissionEvent.class;
        }

        @Override
        public void write(AdmissionEvent v, DataOutputView out) throws IOException {
            if (v.settlement != null) {
                out.writeByte(0);
                settlements.write(v.settlement, out);
            } else {
                out.writeByte(1);
                updates.write(v.limits, out);
            }
        }

        @Override
        public AdmissionEvent read(int version, DataInputView in) throws IOException {
            return in.readByte() == 0 ? of(settlements.read(settlements.version(), in))
                    : of(updates.read(updates.version(), in));
        }
    }
}
