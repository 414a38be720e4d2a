package io.sluice.model.chat;

/**
 * A finished generation: the full text, the token usage the backend reported ({@code -1} where it
 * reported none), why it stopped ({@code stop}, {@code length}, ...: the backend's own word) and
 * the model version that produced it (a remote server's own model name, e.g. the checkpoint it
 * serves; the model id where the backend names none).
 */
public record Generation(String text, long promptTokens, long completionTokens, String finishReason,
        String modelVersion) {}
