package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The request ids a conversation received recently, oldest first, each with its event time: the
 * window in which a repeated request id is a duplicate. Bounded in count and in age, both measured
 * in event time, so the same input always gives the same decision.
 */
public record RecentRequests(List<Seen> seen) {

    /** One request id and the event time it was received at. */
    public record Seen(String requestId, long eventTime) {

        /** One id alone, as the conversation operator keeps each id of the window in an entry of its own. */
        public static final TypeInformation<Seen> TYPE = new RecordTypeInfo<>(new SeenCodec());
    }

    public static final RecentRequests EMPTY = new RecentRequests(List.of());

    public RecentRequests {
        seen = List.copyOf(seen);
    }

    /** Whether {@code requestId} was received within {@code window} before {@code eventTime}. */
    public boolean contains(String requestId, long eventTime, Duration window) {
        for (Seen s : seen) {
            if (s.requestId.equals(requestId) && eventTime - s.eventTime <= window.toMillis()) {
                return true;
            }
        }
        return false;
    }

    /**
     * These ids and {@code requestId}, without the ones older than {@code window} before
     * {@code eventTime} and, beyond {@code maxIds}, the oldest.
     */
    public RecentRequests add(String requestId, long eventTime, int maxIds, Duration window) {
        List<Seen> next = new ArrayList<>(seen.size() + 1);
        for (Seen s : seen) {
            if (eventTime - s.eventTime <= window.toMillis()) {
                next.add(s);
            }
        }
        next.add(new Seen(requestId, eventTime));
        int drop = Math.max(0, next.size() - maxIds);
        return new RecentRequests(next.subList(drop, next.size()));
    }

    /** These ids without {@code requestId} (a turn that produced no answer may be sent again). */
    public RecentRequests remove(String requestId) {
        return new RecentRequests(seen.stream().filter(s -> !s.requestId.equals(requestId)).toList());
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
