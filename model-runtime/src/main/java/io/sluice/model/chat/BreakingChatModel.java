package io.sluice.model.chat;

import java.util.concurrent.CompletableFuture;

/**
 * A {@link ChatModel} behind a {@link CircuitBreaker}: while the breaker is open a call fails at
 * once, without reaching the backend, so that turns waiting on a backend that is down end quickly
 * (and, with a fallback, go elsewhere) instead of each waiting for its timeout. Outcomes feed the
 * breaker: failures the backend is to blame for ({@link GenerationException#backendFault}) count,
 * anything else proves the backend alive.
 */
public final class BreakingChatModel implements ChatModel {

    private final ChatModel backend;
    private final CircuitBreaker breaker;

    public BreakingChatModel(ChatModel backend, CircuitBreaker breaker) {
        this.backend = backend;
        this.breaker = breaker;
    }

    @Override
    public String modelId() {
        return backend.modelId();
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    @Override
    public CompletableFuture<Generation> generate(GenerationRequest request, TokenListener tokens) {
        if (!breaker.tryAcquire()) {
            return CompletableFuture.failedFuture(new GenerationException(modelId() + " is not called: its circuit "
                    + "breaker is open after " + breaker.settings().failures() + " failures within "
                    + breaker.settings().window().toSeconds() + " s; next try in "
                    + Math.max(1, breaker.retryAfter().toSeconds()) + " s", "", false, false, null));
        }
        CompletableFuture<Generation> call;
        try {
            call = backend.generate(request, tokens);
        } catch (RuntimeException e) {
            breaker.succeeded(); // refused before it was sent: says nothing of the backend, frees a probe
            throw e;
        }
        return call.whenComplete((g, e) -> {
            Throwable cause = OpenAiCompatibleChatModel.unwrap(e); // null when the call succeeded
            boolean backendsFault = cause instanceof GenerationException ge ? ge.backendFault() : cause != null;
            if (backendsFault) {
                breaker.failed();
            } else {
                breaker.succeeded();
            }
        });
    }

    @Override
    public void close() {
        backend.close();
    }
}
