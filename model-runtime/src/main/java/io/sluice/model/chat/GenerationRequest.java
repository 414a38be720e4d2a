package io.sluice.model.chat;

import java.util.List;

/**
 * A prompt and how to sample its answer. {@code journalKey} names the turn it answers, for journals
 * and traces (the serving job uses the request's position in {@code chat.requests}, which is unique
 * where request ids need not be); it is never sent to a model, and may be null outside the job.
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
}
