package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A turn's place in its conversation's audit hash chain: its number in the chain (from 1), the
 * hash of the row before it ({@link #GENESIS} for the first) and the SHA-256 of its own audit
 * content, which includes the previous hash. Changing, removing or reordering any row breaks every
 * link after it.
 */
public record AuditLink(long sequence, String previousHash, String hash) {

    /** The previous hash of a conversation's first row. */
    public static final String GENESIS = "0".repeat(64);

    /** Not yet linked: the conversation stage links a turn when it answers it. */
    public static final AuditLink UNLINKED = new AuditLink(0, GENESIS, "");

    public static final TypeInformation<AuditLink> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1. */
    public static final class Codec implements RecordCodec<AuditLink> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<AuditLink> typeClass() {
            return AuditLink.class;
        }

        @Override
        public void write(AuditLink v, DataOutputView out) throws IOException {
            AuditLink.write(v, out);
        }

        @Override
        public AuditLink read(int version, DataInputView in) throws IOException {
            return AuditLink.read(in);
        }
    }

    static void write(AuditLink link, DataOutputView out) throws IOException {
        out.writeLong(link.sequence);
        Fields.writeString(out, link.previousHash);
        Fields.writeString(out, link.hash);
    }

    static AuditLink read(DataInputView in) throws IOException {
        return new AuditLink(in.readLong(), Fields.readString(in), Fields.readString(in));
    }
}
