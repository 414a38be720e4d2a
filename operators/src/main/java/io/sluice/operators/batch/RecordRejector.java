package io.sluice.operators.batch;

import io.sluice.schemas.Rejection;

import java.io.Serializable;

/** Turns an input that a stage failed on into its rejection; {@code description} says what failed. */
@FunctionalInterface
public interface RecordRejector<IN> extends Serializable {

    Rejection reject(IN input, String description);
}
