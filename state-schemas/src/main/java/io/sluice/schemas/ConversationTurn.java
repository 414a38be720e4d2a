package io.sluice.schemas;

/**
 * One answered turn of a conversation as kept in state: the question, the answer given, and the
 * turn's token count as a compiled context shows it (0 where unknown: turns written by history codec
 * version 1).
 */
public record ConversationTurn(String requestId, long eventTime, String question, String answer, int tokens) {

    /** A turn whose token count is not known. */
    public ConversationTurn(String requestId, long eventTime, String question, String answer) {
        this(requestId, eventTime, question, answer, 0);
    }

    /**
     * A turn a client sent with its request (a stateless request): no request id or event time of
     * its own, and tokens counted when a context is compiled.
     */
    public static ConversationTurn fromClient(String question, String answer) {
        return new ConversationTurn("", 0L, question, answer, 0);
    }

    public ConversationTurn withTokens(int count) {
        return new ConversationTurn(requestId, eventTime, question, answer, count);
    }
}
