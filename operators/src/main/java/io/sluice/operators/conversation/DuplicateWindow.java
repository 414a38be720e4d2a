package io.sluice.operators.conversation;

import io.sluice.schemas.RecentRequests.Seen;

import java.time.Duration;
import java.util.List;

/**
 * The request ids a conversation received recently: a request whose id is among them is a duplicate.
 * An id counts while it is among the last {@code maxIds} admitted and was received at most
 * {@code window} of event time before the request asking, so the same input always gets the same
 * decisions.
 *
 * <p>Kept as entries looked up by id, so that a request reads one entry (two for a duplicate) and an
 * admitted one writes its own, whatever the window holds: ids by request id, pointing at their
 * position, and positions in the order admitted, so that the id pushed out of the last
 * {@code maxIds} is removed at once. A list of the window, rewritten at every turn and read whole for
 * every request, cost about 12 kB per turn with 256 ids of 36 characters.
 *
 * <p>An id that is forgotten (its turn produced no answer, so it may be sent again) leaves a gap:
 * the window then holds fewer than {@code maxIds} ids until the gap is pushed out. Ids older than
 * the window are no longer counted but stay stored until pushed out; the operator's state TTL, at
 * least as long as the window, frees those of a conversation that went quiet.
 */
public final class DuplicateWindow {

    /** Where the window of the current conversation is kept: the conversation operator's keyed state, or maps in tests. */
    public interface Store {
        /** The position {@code requestId} was admitted at, or null. */
        Long positionOf(String requestId) throws Exception;

        void putPosition(String requestId, long position) throws Exception;

        void removePosition(String requestId) throws Exception;

        /** The id admitted at {@code position}, or null. */
        Seen at(long position) throws Exception;

        void putAt(long position, Seen seen) throws Exception;

        void removeAt(long position) throws Exception;

        /** The position the next admitted id takes, or null if this conversation has kept none. */
        Long next() throws Exception;

        void setNext(long next) throws Exception;
    }

    private final int maxIds;
    private final Duration window;

    public DuplicateWindow(int maxIds, Duration window) {
        if (maxIds < 1 || window.isNegative()) {
            throw new IllegalArgumentException("the window must keep at least one id, for a duration not negative");
        }
        this.maxIds = maxIds;
        this.window = window;
    }

    /** Whether {@code requestId} was admitted within the window before {@code eventTime}. */
    public boolean contains(Store store, String requestId, long eventTime) throws Exception {
        Long position = store.positionOf(requestId);
        if (position == null) {
            return false;
        }
        Long next = store.next();
        Seen seen = store.at(position);
        return next != null && position >= next - maxIds && seen != null && seen.requestId().equals(requestId)
                && eventTime - seen.eventTime() <= window.toMillis();
    }

    /** Admits {@code requestId}: it takes the next position, and the id pushed out of the last {@code maxIds} goes. */
    public void remember(Store store, String requestId, long eventTime) throws Exception {
        Long stored = store.next();
        long position = stored == null ? 0L : stored;
        Long earlier = store.positionOf(requestId);
        if (earlier != null) {
            store.removeAt(earlier); // an id older than the window, received again
        }
        store.putPosition(requestId, position);
        store.putAt(position, new Seen(requestId, eventTime));
        store.setNext(position + 1);
        long out = position - maxIds;
        if (out >= 0) {
            Seen pushedOut = store.at(out);
            if (pushedOut != null) {
                store.removeAt(out);
                Long at = store.positionOf(pushedOut.requestId());
                if (at != null && at == out) {
                    store.removePosition(pushedOut.requestId());
                }
            }
        }
    }

    /** Forgets {@code requestId} (its turn produced no answer, so it may be sent again). */
    public void forget(Store store, String requestId) throws Exception {
        Long position = store.positionOf(requestId);
        if (position != null) {
            store.removePosition(requestId);
            store.removeAt(position);
        }
    }

    /**
     * Admits, in order, the ids of a window that a build before this layout kept as one list, if the
     * conversation has kept none in this layout yet (only then is {@code earlier} taken). Returns
     * whether it did.
     */
    public boolean moveIn(Store store, EntryList.Earlier<Seen> earlier) throws Exception {
        if (store.next() != null) {
            return false;
        }
        List<Seen> ids = earlier.take();
        if (ids == null || ids.isEmpty()) {
            return false;
        }
        for (Seen seen : ids) {
            remember(store, seen.requestId(), seen.eventTime());
        }
        return true;
    }
}
