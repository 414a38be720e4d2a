package io.sluice.model.chat;

/** One message of a chat prompt. */
public record ChatMessage(Role role, String content) {

    /** Who says it. */
    public enum Role {
        SYSTEM,
        USER,
        ASSISTANT
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
