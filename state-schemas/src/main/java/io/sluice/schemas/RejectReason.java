package io.sluice.schemas;

/** Why a request was not answered. The names are the reason codes on {@code chat.rejected}. */
public enum RejectReason {
    /** The payload is not a JSON object. */
    MALFORMED_JSON,
    /** A required field is absent or blank. */
    MISSING_FIELD,
    /** A field has the wrong type or an out-of-range value. */
    INVALID_FIELD,
    /** A field is longer than the tenant allows. */
    FIELD_TOO_LONG,
    /** The tenant is not configured. */
    UNKNOWN_TENANT,
    /** A request with the same requestId was already answered in this conversation. */
    DUPLICATE_REQUEST,
    /** The conversation already has as many turns waiting for an answer as it may. */
    CONVERSATION_BUSY,
    /** The generative answer model failed (after its retries); any streamed pieces are void. */
    MODEL_FAILED
}
