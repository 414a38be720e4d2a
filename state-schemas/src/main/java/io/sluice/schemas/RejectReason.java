package io.sluice.schemas;

/** Why a request was not answered. The names are the reason codes on {@code chat.rejected}. */
public enum RejectReason {
    /** The record is larger than {@code sluice.requests.max-bytes}; it was not parsed. */
    PAYLOAD_TOO_LARGE,
    /**
     * The bytes are not UTF-8, or a text field holds what PostgreSQL and Kafka consumers cannot
     * store or parse safely: NUL, other control characters than tab and line breaks, lone surrogates.
     */
    INVALID_ENCODING,
    /** The payload is not one JSON object: bad syntax, trailing content, duplicate keys, too deep. */
    MALFORMED_JSON,
    /** A required field is absent or blank. */
    MISSING_FIELD,
    /** A field has the wrong type or an out-of-range value. */
    INVALID_FIELD,
    /** A field is longer than the tenant allows. */
    FIELD_TOO_LONG,
    /**
     * The record's signature does not verify, or it has none where the job requires one
     * ({@code sluice.gateway.require-signature}).
     */
    UNAUTHENTICATED,
    /** The tenant is not configured. */
    UNKNOWN_TENANT,
    /** The answer model is one the job offers, but not to this tenant (its {@code models}). */
    MODEL_NOT_ALLOWED,
    /**
     * Personal data where the tenant's policy refuses it ({@code pii: reject}), or in an id (ids are
     * keys and cannot be redacted). The detail names the kinds found, never the values.
     */
    PII_DETECTED,
    /**
     * The message or a turn the request brings looks like a prompt-injection attempt and the
     * tenant's policy refuses it ({@code promptInjection: reject}); the detail names the attack
     * families found.
     */
    PROMPT_INJECTION,
    /**
     * A request rate limit of the tenant or its API key ({@code rateLimit}, {@code keyRateLimit})
     * has no request left at the request's event time (the rejection says when it has:
     * {@code retryAt}), or the tenant has {@code maxInFlight} generations running.
     */
    RATE_LIMITED,
    /**
     * A token budget of the tenant, its API key or its answer model has too little left for the
     * turn's worst case; {@code retryAt} is when the period resets, or absent when only generations
     * still running hold the budget.
     */
    BUDGET_EXHAUSTED,
    /** A request with the same requestId was already received in this conversation, recently. */
    DUPLICATE_REQUEST,
    /** The conversation already has as many turns waiting for an answer as it may. */
    CONVERSATION_BUSY,
    /** The generative answer model failed (after its retries); any streamed pieces are void. */
    MODEL_FAILED,
    /**
     * No model profile could take the turn: routing passed over every candidate of its route and
     * their fallbacks (residency, context window, open circuit breakers); the detail lists them.
     */
    NO_MODEL_AVAILABLE,
    /**
     * The turn's model was so far behind (generations running and waiting) that the last step of the
     * degradation ladder refuses it; try again shortly.
     */
    OVERLOADED,
    /**
     * A stage failed on this record (an exception that is about the record, not the environment);
     * the rejection names the stage. The job goes on.
     */
    STAGE_FAILED
}
