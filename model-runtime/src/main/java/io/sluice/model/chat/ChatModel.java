package io.sluice.model.chat;

import java.util.concurrent.CompletableFuture;

/**
 * A generative chat model: messages and sampling parameters in, a stream of text and a final
 * {@link Generation} out. Calls never block the caller: tokens arrive on {@code tokens} and the
 * result completes the future (exceptionally with a {@link GenerationException}).
 * Implementations are thread-safe.
 */
public interface ChatModel extends AutoCloseable {

    /** Recorded with every answer, e.g. {@code openai-compatible:qwen2.5-7b-instruct}. */
    String modelId();

    CompletableFuture<Generation> generate(GenerationRequest request, TokenListener tokens);

    @Override
    void close();
}
