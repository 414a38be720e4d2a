package io.sluice.operators.batch;

import io.sluice.operators.failure.RecordFailures;

import java.util.ArrayList;
import java.util.List;

/**
 * What one call of a {@link BatchFunction} over a batch came to. Either a result for each record;
 * or, when the call failed because of its records ({@link RecordFailures}) and the stage may
 * reject records, each record's own result from a call of its own, and for each record that failed
 * alone, why; or a failure that fails the job over.
 *
 * <p>The job fails over for a failure of the environment (a lost connection, a closed index), for
 * a function that broke its contract (not one result per input), for an {@link Error} other than a
 * stack overflow (the process is not sound after one), and for any failure of a stage that may not
 * reject records. A failure thrown when records are run alone counts the same way: an environment
 * that fails on the retry fails the job over, and is not blamed on the record.
 *
 * <p>Runs on the calling thread (the stage's batch thread); plain Java, tested without Flink.
 *
 * @param <OUT> a record's result
 */
public final class BatchOutcome<OUT> {

    private final List<OUT> results;
    private final String[] failures;
    private final Throwable fatal;

    private BatchOutcome(List<OUT> results, String[] failures, Throwable fatal) {
        this.results = results;
        this.failures = failures;
        this.fatal = fatal;
    }

    /**
     * Calls {@code function} over {@code values}, and again record by record when that failed
     * because of its records and {@code rejectsRecords}.
     *
     * @param stage the stage's name, for the message of a function that broke its contract
     */
    public static <IN, OUT> BatchOutcome<OUT> of(BatchFunction<IN, OUT> function, List<IN> values,
            boolean rejectsRecords, String stage) {
        Throwable failure;
        try {
            List<OUT> results = function.apply(values);
            return checked(results, values.size(), stage);
        } catch (Throwable t) {
            failure = t;
        }
        if (!rejectsRecords || failsTheJob(failure)) {
            return new BatchOutcome<>(null, null, failure);
        }
        List<OUT> results = new ArrayList<>(values.size());
        String[] failures = new String[values.size()];
        for (int i = 0; i < values.size(); i++) {
            List<OUT> alone;
            try {
                alone = function.apply(List.of(values.get(i)));
            } catch (Throwable t) {
                if (failsTheJob(t)) {
                    return new BatchOutcome<>(null, null, t);
                }
                results.add(null);
                failures[i] = RecordFailures.describeOrRethrow(t);
                continue;
            }
            BatchOutcome<OUT> one = checked(alone, 1, stage);
            if (one.fatal != null) {
                return one;
            }
            results.add(alone.get(0));
        }
        return new BatchOutcome<>(results, failures, null);
    }

    /** Whether {@code failure} fails the job over rather than the records it was thrown for. */
    private static boolean failsTheJob(Throwable failure) {
        return !(failure instanceof Exception || failure instanceof StackOverflowError)
                || RecordFailures.isEnvironmental(failure);
    }

    /** {@code results} as an outcome, or a fatal one when they are not one per input. */
    private static <OUT> BatchOutcome<OUT> checked(List<OUT> results, int inputs, String stage) {
        if (results != null && results.size() == inputs) {
            return new BatchOutcome<>(results, null, null);
        }
        return new BatchOutcome<>(null, null, new IllegalStateException("Batch function of stage " + stage
                + " returned " + (results == null ? "no list" : results.size() + " results") + " for " + inputs
                + " inputs"));
    }

    /** The failure that fails the job over, or null when there is none. */
    public Throwable fatal() {
        return fatal;
    }

    /** Whether the records were run one by one after the batch failed because of them. */
    public boolean recordByRecord() {
        return failures != null;
    }

    /** Record {@code i}'s result; null when it failed alone. */
    public OUT result(int i) {
        return results.get(i);
    }

    /** Why record {@code i} failed when it ran alone, or null when it did not fail. */
    public String failure(int i) {
        return failures == null ? null : failures[i];
    }
}
