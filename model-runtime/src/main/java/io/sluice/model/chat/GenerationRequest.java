package io.sluice.model.chat;

import java.util.List;

/**
 * A prompt and how to sample its answer. {@code journalKey} names the turn it answers, for journals
 * and traces (the serving job uses the request's position in {@code chat.requests}, which is unique
 * where request ids need not be); it is never sent to a model, and may be null outside the job.
 * A last message from the assistant is the start of the answer, which the model continues
 * ({@link #continuing}).
 */
public record GenerationRequest(List<ChatMessage> messages, GenerationParams params, String journalKey) {

    public GenerationRequest {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a generation needs at least one message");
        }
        messages = List.copyOf(messages);
    }

    public GenerationRequest(List<ChatMessage> messages, GenerationParams params) {
        this(messages, params, null);
    }

    /**
     * This prompt with {@code answerSoFar} as the start of the assistant's answer, for another model
     * to continue (a failover in the middle of a stream), journaled under {@code key}.
     */
    public GenerationRequest continuing(String answerSoFar, String key) {
        List<ChatMessage> withStart = new java.util.ArrayList<>(messages);
        withStart.add(ChatMessage.assistant(answerSoFar));
        return new GenerationRequest(withStart, params, key);
    }

    /** Whether the last message is the start of the answer, to be continued. */
    public boolean continues() {
        return messages.get(messages.size() - 1).role() == ChatMessage.Role.ASSISTANT;
    }
}
