package io.sluice.operators.answer;

import io.sluice.operators.context.CompiledContext;

/**
 * Produces the answer of a turn from its compiled context. Implementations must be deterministic
 * for a given model version: replay re-derives answers through this interface.
 */
public interface AnswerModel {

    /** Recorded with every answer, e.g. {@code extractive@1}. */
    String modelId();

    Answer answer(String question, CompiledContext context);
}
