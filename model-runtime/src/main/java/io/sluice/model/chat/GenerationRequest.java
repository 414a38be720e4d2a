package io.sluice.model.chat;

import java.util.List;

/** A prompt and how to sample its answer. */
public record GenerationRequest(List<ChatMessage> messages, GenerationParams params) {

    public GenerationRequest {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a generation needs at least one message");
        }
        messages = List.copyOf(messages);
    }
}
