package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.math.BigDecimal;

/**
 * What a turn cost, in billionths of a US dollar (whole numbers, so that sums are exact), by the
 * price table of version {@code priceVersion}.
 */
public record Cost(long nanoUsd, String priceVersion) {

    /** The cost in dollars, with nine decimals: {@code 0.000055500}. */
    public String usd() {
        return usd(nanoUsd);
    }

    /** {@code nanoUsd} in dollars, with nine decimals. */
    public static String usd(long nanoUsd) {
        return BigDecimal.valueOf(nanoUsd, 9).toPlainString();
    }

    static void write(Cost cost, DataOutputView out) throws IOException {
        out.writeBoolean(cost != null);
        if (cost != null) {
            out.writeLong(cost.nanoUsd);
            Fields.writeString(out, cost.priceVersion);
        }
    }

    static Cost read(DataInputView in) throws IOException {
        return in.readBoolean() ? new Cost(in.readLong(), Fields.readString(in)) : null;
    }
}
