package io.sluice.model.chat;

import java.io.Serializable;
import java.time.Duration;

/**
 * Where and how to reach an OpenAI-compatible {@code /v1/chat/completions} server (vLLM, TGI,
 * Ollama, llama.cpp, OpenAI itself). {@code apiKey} may be null for servers without auth.
 * {@code maxRetries} applies to failures before the first token only: 429, 5xx, 408, 409 and
 * connection errors, with exponential backoff and jitter (and the server's Retry-After).
 */
public record OpenAiBackendConfig(
        String baseUrl,
        String model,
        String apiKey,
        Duration connectTimeout,
        Duration readTimeout,
        Duration totalTimeout,
        int maxRetries) implements Serializable {

    public OpenAiBackendConfig {
        if (baseUrl == null || baseUrl.isBlank() || model == null || model.isBlank()) {
            throw new IllegalArgumentException("an OpenAI-compatible backend needs a base URL and a model name");
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("max retries must not be negative");
        }
    }

    /** Defaults: 10 s to connect, 60 s between streamed bytes, 120 s in all, 3 retries. */
    public static OpenAiBackendConfig of(String baseUrl, String model, String apiKey) {
        return new OpenAiBackendConfig(baseUrl, model, apiKey, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Duration.ofSeconds(120), 3);
    }

    @Override
    public String toString() {
        return "OpenAiBackendConfig[" + baseUrl + ", model=" + model + ", apiKey=" + (apiKey == null ? "none" : "***") + "]";
    }
}
