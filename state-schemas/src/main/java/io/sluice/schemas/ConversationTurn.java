package io.sluice.schemas;

/** One answered turn of a conversation as kept in state: the question and the answer given. */
public record ConversationTurn(String requestId, long eventTime, String question, String answer) {}
