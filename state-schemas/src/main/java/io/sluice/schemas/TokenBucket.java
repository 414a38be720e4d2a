package io.sluice.schemas;

import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A rate limit's bucket as the admission stage keeps it: its {@code level} in units of 1/60,000 of
 * a request (so that a refill of {@code requestsPerMinute} per minute is a whole number of units
 * per millisecond, and the arithmetic is exact), as of event time {@code updatedAt} (epoch ms).
 */
public record TokenBucket(long level, long updatedAt) {

    /** Units per request: one minute in milliseconds. */
    public static final long UNITS_PER_REQUEST = 60_000L;

    public static final TypeInformation<TokenBucket> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<TokenBucket> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<TokenBucket> typeClass() {
            return TokenBucket.class;
        }

        @Override
        public void write(TokenBucket v, DataOutputView out) throws IOException {
            out.writeLong(v.level);
            out.writeLong(v.updatedAt);
        }

        @Override
        public TokenBucket read(int version, DataInputView in) throws IOException {
            return new TokenBucket(in.readLong(), in.readLong());
        }
    }
}
