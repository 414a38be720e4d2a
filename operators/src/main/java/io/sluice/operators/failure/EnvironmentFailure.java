package io.sluice.operators.failure;

/**
 * A failure of something a stage depends on (a model session, an index snapshot, a backend that is
 * configured wrong), as opposed to the record it was processing: the job fails over.
 */
public class EnvironmentFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EnvironmentFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
