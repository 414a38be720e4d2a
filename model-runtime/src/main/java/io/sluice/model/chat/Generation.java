package io.sluice.model.chat;

/**
 * A finished generation: the full text, the token usage the backend reported, and why it stopped
 * ({@code stop}, {@code length}, ...: the backend's own word).
 */
public record Generation(String text, long promptTokens, long completionTokens, String finishReason) {}
