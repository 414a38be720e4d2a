package io.sluice.model.chat;

/**
 * A generation that failed. {@code partialText} is what had been streamed before the failure (empty
 * if nothing was); {@code retryable} says whether repeating the whole request may succeed. A failure
 * after the first token is never retried by the backend client itself: the caller decides, because
 * the tokens may already have been delivered. {@code backendFault} says whether the backend is to
 * blame (unreachable, overloaded, too slow, a broken stream) rather than the request: only those
 * count toward opening a {@link CircuitBreaker}.
 */
public final class GenerationException extends RuntimeException {

    private final String partialText;
    private final boolean retryable;
    private final boolean backendFault;

    /** A failure that is the backend's exactly when it is retryable. */
    public GenerationException(String message, String partialText, boolean retryable, Throwable cause) {
        this(message, partialText, retryable, retryable, cause);
    }

    public GenerationException(String message, String partialText, boolean retryable, boolean backendFault,
            Throwable cause) {
        super(message, cause);
        this.partialText = partialText;
        this.retryable = retryable;
        this.backendFault = backendFault;
    }

    public boolean backendFault() {
        return backendFault;
    }

    public String partialText() {
        return partialText;
    }

    public boolean retryable() {
        return retryable;
    }
}
