package io.sluice.model.chat;

import java.util.List;

/**
 * A prompt and how to sample its answer. {@code requestId} names the chat request it answers, for
 * journals and traces; it is never sent to a model, and may be null outside the serving job.
 */
public record GenerationRequest(List<ChatMessage> messages, GenerationParams params, String requestId) {

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
