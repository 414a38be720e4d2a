package io.sluice.model.chat;

/**
 * A generation that failed. {@code partialText} is what had been streamed before the failure (empty
 * if nothing was); {@code retryable} says whether repeating the whole request may succeed. A failure
 * after the first token is never retried by the backend client itself: the caller decides, because
 * the tokens may already have been delivered.
 */
public final class GenerationException extends RuntimeException {

    private final String partialText;
    private final boolean retryable;

    public GenerationException(String message, String partialText, boolean retryable, Throwable cause) {
        super(message, cause);
        this.partialText = partialText;
        this.retryable = retryable;
    }

    public String partialText() {
        return partialText;
    }

    public boolean retryable() {
        return retryable;
    }
}
