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
 * A conversation's duplicate window as builds before its entries (the conversation operator's
 * {@code recent-request-ids}) kept it: one list of request ids, oldest first, each with its event
 * time. Read only to move such state into entries; {@link Seen} is what those entries hold.
 */
public record RecentRequests(List<Seen> seen) {

    /** One request id and the event time it was received at. */
    public record Seen(String requestId, long eventTime) {

        /** One id alone, as the conversation operator keeps each id of the window in an entry of its own. */
        public static final TypeInformation<Seen> TYPE = new RecordTypeInfo<>(new SeenCodec());
    }

    public RecentRequests {
        seen = List.copyOf(seen);
    }

    public static final TypeInformation<RecentRequests> TYPE = new RecordTypeInfo<>(new Codec());

    /** Version 1: a list of (requestId, eventTime). */
    public static final class Codec implements RecordCodec<RecentRequests> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<RecentRequests> typeClass() {
            return RecentRequests.class;
        }

        @Override
        public void write(RecentRequests v, DataOutputView out) throws IOException {
            SeenCodec seen = new SeenCodec();
            Fields.writeList(out, v.seen, seen::write);
        }

        @Override
        public RecentRequests read(int version, DataInputView in) throws IOException {
            SeenCodec seen = new SeenCodec();
            return new RecentRequests(Fields.readList(in, i -> seen.read(1, i)));
        }
    }

    /** Version 1: (requestId, eventTime), as an element of the list of {@link Codec} version 1. */
    public static final class SeenCodec implements RecordCodec<Seen> {
        @Override
        public int version() {
            return 1;
        }

        @Override
        public Class<Seen> typeClass() {
            return Seen.class;
        }

        @Override
        public void write(Seen v, DataOutputView out) throws IOException {
            Fields.writeString(out, v.requestId);
            out.writeLong(v.eventTime);
        }

        @Override
        public Seen read(int version, DataInputView in) throws IOException {
            return new Seen(Fields.readString(in), in.readLong());
        }
    }
}
