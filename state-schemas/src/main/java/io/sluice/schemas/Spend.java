package io.sluice.schemas;

import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * One budget's count for one period (a tenant's day, a key's month, ...): tokens {@code settled}
 * (spent by generations that came back) and tokens {@code reserved} by generations still running.
 */
public record Spend(long settled, long reserved) {

    public static final Spend ZERO = new Spend(0, 0);

    public Spend reserve(long tokens) {
        return new Spend(settled, reserved + tokens);
    }

    /** The reservation of {@code reservedTokens} replaced by what was really spent. */
    public Spend settle(long reservedTokens, long spentTokens) {
        return new Spend(settled + spentTokens, reserved - reservedTokens);
    }

    public static final TypeInformation<Spend> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<Spend> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<Spend> typeClass() {
            return Spend.class;
        }

        @Override
        public void write(Spend v, DataOutputView out) throws IOException {
            out.writeLong(v.settled);
            out.writeLong(v.reserved);
        }

        @Override
        public Spend read(int version, DataInputView in) throws IOException {
            return new Spend(in.readLong(), in.readLong());
        }
    }
}
