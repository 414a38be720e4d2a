package io.sluice.operators.flink;

import io.sluice.operators.audit.AuditRecord;
import io.sluice.operators.conversation.DuplicateWindow;
import io.sluice.operators.conversation.EntryList;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.RecentRequests;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The conversation stage's keyed state, of the current key (one conversation): its history, a turn
 * per entry ({@link EntryList}); its turns not yet answered, head first; its duplicate window
 * ({@link DuplicateWindow}); and the last link of its audit chain. This class knows where each lies,
 * how long it lives, and how the layouts of earlier builds (the history and the window each as one
 * value) move in, on first use. The operator sets the key and decides; the decisions are in the
 * plain classes of {@code io.sluice.operators.conversation}.
 *
 * <p>A request that brings its own history ({@link ChatRequest#historyFromClient()}) leaves no
 * history, no request id and no audit chain here; only its pending entry while it is answered.
 */
final class ConversationState {

    /** The history as one value, as builds before {@link #HISTORY_TURNS_STATE} kept it; moved on first use. */
    static final String HISTORY_STATE = "history";
    /** The history one turn per entry ({@link EntryList}). */
    static final String HISTORY_TURNS_STATE = "history-turns";
    static final String PENDING_STATE = "pending";
    static final String AUDIT_CHAIN_STATE = "audit-chain";
    /** The duplicate window as one value, as builds before {@link #RECENT_IDS_STATE} kept it; moved on first use. */
    static final String RECENT_REQUESTS_STATE = "recent-requests";
    /** The duplicate window ({@link DuplicateWindow}): each id's position, by request id. */
    static final String RECENT_IDS_STATE = "recent-request-ids";
    /** The duplicate window: the ids by the position they were admitted at. */
    static final String RECENT_ORDER_STATE = "recent-request-order";
    /** The duplicate window: the position of the next id admitted. */
    static final String RECENT_NEXT_STATE = "recent-request-next";

    /** The states whose keys tell how a build keyed conversations (see the operator's start). */
    static final List<String> KEYED_BY_CONVERSATION = List.of(AUDIT_CHAIN_STATE, HISTORY_STATE, PENDING_STATE);

    private final ConversationOperator.Settings settings;
    private final ValueState<ConversationHistory> historyValue;
    private final EntryList.Entries<ConversationTurn> history;
    private final ListState<RetrievedRequest> pending;
    private final ValueState<AuditLink> auditChain;
    private final ValueState<RecentRequests> recentValue;
    private final MapState<String, Long> recentIds;
    private final MapState<Long, RecentRequests.Seen> recentOrder;
    private final DuplicateWindow.Store recent;
    private final DuplicateWindow window;

    ConversationState(RuntimeContext context, ConversationOperator.Settings settings) {
        this.settings = settings;
        historyValue = context.getState(withStorageTtl(
                new ValueStateDescriptor<>(HISTORY_STATE, ConversationHistory.TYPE), Duration.ZERO));
        history = entries(context.getMapState(withStorageTtl(
                new MapStateDescriptor<>(HISTORY_TURNS_STATE, Types.LONG, ConversationTurn.TYPE), Duration.ZERO)));
        recentValue = context.getState(withStorageTtl(
                new ValueStateDescriptor<>(RECENT_REQUESTS_STATE, RecentRequests.TYPE), Duration.ZERO));
        // An id is kept for the window even where the history's time to live is shorter (replay keeps
        // it that long too); the next position lives as long as the ids written with it.
        recentIds = context.getMapState(withStorageTtl(
                new MapStateDescriptor<>(RECENT_IDS_STATE, Types.STRING, Types.LONG), settings.duplicateWindow()));
        recentOrder = context.getMapState(withStorageTtl(
                new MapStateDescriptor<>(RECENT_ORDER_STATE, Types.LONG, RecentRequests.Seen.TYPE),
                settings.duplicateWindow()));
        recent = windowStore(recentIds, recentOrder, context.getState(withStorageTtl(
                new ValueStateDescriptor<>(RECENT_NEXT_STATE, Types.LONG), settings.duplicateWindow())));
        window = new DuplicateWindow(settings.duplicateWindowIds(), settings.duplicateWindow());
        pending = context.getListState(new ListStateDescriptor<>(PENDING_STATE, RetrievedRequest.TYPE));
        // No TTL: the chain must continue however long a conversation is idle (one link per conversation).
        auditChain = context.getState(new ValueStateDescriptor<>(AUDIT_CHAIN_STATE, AuditLink.TYPE));
    }

    /**
     * Idle conversations' storage is freed after the history's time to live (see the operator's
     * class comment), each entry kept for at least {@code atLeast}.
     */
    private <D extends StateDescriptor<?, ?>> D withStorageTtl(D descriptor, Duration atLeast) {
        if (!settings.historyTtl().isZero()) {
            Duration ttl = settings.stateTtl().compareTo(atLeast) >= 0 ? settings.stateTtl() : atLeast;
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        return descriptor;
    }

    /** The conversation's turns not yet answered, head (being answered) first. */
    List<RetrievedRequest> pending() throws Exception {
        List<RetrievedRequest> queue = new ArrayList<>();
        Iterable<RetrievedRequest> stored = pending.get();
        if (stored != null) {
            stored.forEach(queue::add);
        }
        return queue;
    }

    /** Puts {@code retrieved} last in the conversation's queue. */
    void addPending(RetrievedRequest retrieved) throws Exception {
        pending.add(retrieved);
    }

    /** The conversation's queue is {@code queue} now (empty: none). */
    void setPending(List<RetrievedRequest> queue) throws Exception {
        if (queue.isEmpty()) {
            pending.clear();
        } else {
            pending.update(queue);
        }
    }

    /**
     * The history a turn of {@code request} is answered with: the one the request brought, else the
     * conversation's stored turns within the history's time to live before the request's event time.
     */
    ConversationHistory history(ChatRequest request) throws Exception {
        if (request.historyFromClient()) {
            return request.clientHistory();
        }
        ConversationHistory stored = new ConversationHistory(storedHistory().items());
        Duration ttl = settings.historyTtl();
        return ttl.isZero() ? stored : stored.within(ttl, request.eventTime());
    }

    /**
     * Links {@code answered} into the conversation's audit chain and returns the linked turn. Unless
     * its request brought its history, the conversation's history becomes {@code current} (the
     * history it was answered with) and the turn as {@code asHistory} makes it: the stored turns it
     * no longer keeps (the oldest, or those past its time to live) go.
     */
    AnsweredTurn record(AnsweredTurn answered, ConversationHistory current,
            Function<AnsweredTurn, ConversationTurn> asHistory) throws Exception {
        if (answered.request().historyFromClient()) {
            return AuditRecord.link(answered, null); // a chain of its own; the client keeps the history
        }
        AnsweredTurn linked = AuditRecord.link(answered, auditChain.value());
        auditChain.update(linked.audit());
        EntryList.write(history, storedHistory(), current.append(asHistory.apply(linked), settings.maxTurns()).turns());
        return linked;
    }

    /** Whether {@code request}'s id is in the conversation's duplicate window. */
    boolean isDuplicate(ChatRequest request) throws Exception {
        return window.contains(currentWindow(), request.requestId(), request.eventTime());
    }

    /** Puts an admitted request in the duplicate window of its conversation, if the job keeps one. */
    void remember(ChatRequest request) throws Exception {
        if (!request.historyFromClient()) {
            window.remember(recent, request.requestId(), request.eventTime());
        }
    }

    /** Takes a request that produced no answer out of the duplicate window: its id may be sent again. */
    void forget(ChatRequest request) throws Exception {
        if (!request.historyFromClient()) {
            window.forget(currentWindow(), request.requestId());
        }
    }

    /**
     * The entries the conversation's history ({@link #HISTORY_TURNS_STATE}) or duplicate window
     * ({@link #RECENT_IDS_STATE}, {@link #RECENT_ORDER_STATE}) holds; for tests.
     */
    int storedEntries(String state) throws Exception {
        if (HISTORY_TURNS_STATE.equals(state)) {
            return EntryList.read(history).items().size();
        }
        Iterable<?> entries = RECENT_IDS_STATE.equals(state) ? recentIds.keys() : recentOrder.keys();
        int count = 0;
        for (Object ignored : entries) {
            count++;
        }
        return count;
    }

    /**
     * The conversation's stored turns, oldest first. A history that a build before
     * {@link #HISTORY_TURNS_STATE} kept as one value is moved into entries here, the first time its
     * conversation is seen.
     */
    private EntryList.Stored<ConversationTurn> storedHistory() throws Exception {
        return EntryList.read(history, () -> take(historyValue, ConversationHistory::turns));
    }

    /**
     * The duplicate window of the current key. One that a build before this layout kept as one value
     * moves in first, also where a turn restored from such a build fails before its conversation
     * sees another request.
     */
    private DuplicateWindow.Store currentWindow() throws Exception {
        window.moveIn(recent, () -> take(recentValue, RecentRequests::seen));
        return recent;
    }

    /** The items of {@code state}'s value, which is cleared; null if it has none. */
    private static <V, T> List<T> take(ValueState<V> state, Function<V, List<T>> items)
            throws Exception {
        V value = state.value();
        if (value == null) {
            return null;
        }
        state.clear();
        return items.apply(value);
    }

    /** {@code state} of the current key as the entries of an {@link EntryList}. */
    private static <T> EntryList.Entries<T> entries(MapState<Long, T> state) {
        return new EntryList.Entries<>() {
            @Override
            public Iterable<Map.Entry<Long, T>> entries() throws Exception {
                return state.entries();
            }

            @Override
            public void put(long position, T item) throws Exception {
                state.put(position, item);
            }

            @Override
            public void remove(long position) throws Exception {
                state.remove(position);
            }
        };
    }

    /** The duplicate window of the current key in these states. */
    private static DuplicateWindow.Store windowStore(MapState<String, Long> ids,
            MapState<Long, RecentRequests.Seen> order, ValueState<Long> next) {
        return new DuplicateWindow.Store() {
            @Override
            public Long positionOf(String requestId) throws Exception {
                return ids.get(requestId);
            }

            @Override
            public void putPosition(String requestId, long position) throws Exception {
                ids.put(requestId, position);
            }

            @Override
            public void removePosition(String requestId) throws Exception {
                ids.remove(requestId);
            }

            @Override
            public RecentRequests.Seen at(long position) throws Exception {
                return order.get(position);
            }

            @Override
            public void putAt(long position, RecentRequests.Seen seen) throws Exception {
                order.put(position, seen);
            }

            @Override
            public void removeAt(long position) throws Exception {
                order.remove(position);
            }

            @Override
            public Long next() throws Exception {
                return next.value();
            }

            @Override
            public void setNext(long position) throws Exception {
                next.update(position);
            }
        };
    }
}
