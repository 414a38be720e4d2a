package io.sluice.operators.validate;

import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Rejection;

/** Either a valid request or the reason it was rejected. */
public sealed interface ValidationResult {

    record Valid(ChatRequest request) implements ValidationResult {}

    record Rejected(Rejection rejection) implements ValidationResult {}
}
