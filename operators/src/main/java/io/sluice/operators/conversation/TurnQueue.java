package io.sluice.operators.conversation;

import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.RetrievedRequest;

import java.util.List;

/**
 * The order of one conversation's turns: which arriving request is a duplicate, which must wait for
 * the turn being answered, which may be answered now, and which turn comes next. The caller keeps
 * the state (the pending turns, head first, the head being answered; the duplicate window) and
 * applies the decisions; this class keeps none, and every decision depends only on the requests'
 * ids and event times, so replay decides the same.
 *
 * <p>A request is a duplicate when its id is waiting in this conversation, is in the kept history,
 * or was received within the duplicate window ({@link DuplicateWindow}, which the caller asks).
 */
public final class TurnQueue {

    /** What to do with an arriving request. */
    public enum Decision {
        /** Its request id was received recently in this conversation: reject it. */
        DUPLICATE,
        /** Too many turns wait already: reject it. */
        BUSY,
        /** A turn is being answered: append it to the pending turns. */
        WAIT,
        /** Nothing is waiting: answer it now. */
        ANSWER
    }

    /** A decision and, for rejections, why. */
    public record Admission(Decision decision, String detail) {}

    private final int maxPendingTurns;

    public TurnQueue(int maxPendingTurns) {
        if (maxPendingTurns < 1) {
            throw new IllegalArgumentException("max pending turns must be positive");
        }
        this.maxPendingTurns = maxPendingTurns;
    }

    /** What to do with {@code request}; {@code inWindow}: whether the duplicate window holds its id. */
    public Admission admit(ChatRequest request, List<RetrievedRequest> pending, ConversationHistory history,
            boolean inWindow) {
        String id = request.requestId();
        if (inWindow || history.answered(id)
                || pending.stream().anyMatch(p -> p.request().requestId().equals(id))) {
            return new Admission(Decision.DUPLICATE, "request '" + id + "' was already received in this conversation");
        }
        if (!pending.isEmpty()) {
            int waiting = pending.size() - 1; // behind the turn being answered
            if (waiting >= maxPendingTurns) {
                return new Admission(Decision.BUSY, "conversation '" + request.conversationId() + "' already has "
                        + waiting + " turns waiting for the answer before them");
            }
            return new Admission(Decision.WAIT, null);
        }
        return new Admission(Decision.ANSWER, null);
    }

    /** The pending turns once the head is answered (or failed); its head, if any, is answered next. */
    public static List<RetrievedRequest> afterHead(List<RetrievedRequest> pending) {
        return pending.isEmpty() ? List.of() : List.copyOf(pending.subList(1, pending.size()));
    }
}
