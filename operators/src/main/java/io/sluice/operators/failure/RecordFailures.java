package io.sluice.operators.failure;

import io.sluice.schemas.Bounds;

import org.apache.lucene.store.AlreadyClosedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.SQLException;

/**
 * The failure classes of the request path. A stage that fails while it processes one record asks
 * {@link #describeOrRethrow}: a failure of the <em>environment</em> is thrown on, so the job fails
 * over and restarts from its last checkpoint as before; any other failure is the <em>record's</em>,
 * and becomes its {@code STAGE_FAILED} rejection while the job goes on.
 *
 * <p>Environment, anywhere in the cause chain: I/O ({@link IOException}, {@link UncheckedIOException}:
 * a snapshot file that cannot be read, a lost connection), {@link SQLException}, a closed Lucene
 * reader, an interrupt (the task is being cancelled), {@link EnvironmentFailure} (raised by Sluice's
 * own code for a broken resource), and errors of the JVM itself ({@link OutOfMemoryError},
 * {@link LinkageError}, ...). A {@link StackOverflowError} is the record's: only a record's shape can
 * recurse that deep, and the stack has unwound by the time it is caught.
 *
 * <p>The rule is by type, deliberately: retrying a record to see whether it fails again cannot tell
 * a poison record from a broken model in a failover loop, and a count of consecutive failures would
 * let a burst of poison records restart the job.
 */
public final class RecordFailures {

    /** The longest description a rejection carries. */
    static final int DESCRIPTION_CHARS = 300;

    private RecordFailures() {}

    /** Whether {@code failure} is about the environment rather than the record being processed. */
    public static boolean isEnvironmental(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException || t instanceof UncheckedIOException || t instanceof SQLException
                    || t instanceof AlreadyClosedException || t instanceof InterruptedException
                    || t instanceof EnvironmentFailure) {
                return true;
            }
            if (t instanceof Error && !(t instanceof StackOverflowError)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Throws {@code failure} on if it is environmental; else returns a bounded description of it for
     * the record's rejection (the exception's class and message, never a stack trace).
     */
    public static String describeOrRethrow(Throwable failure) {
        if (isEnvironmental(failure)) {
            throw RecordFailures.<RuntimeException>sneaky(failure);
        }
        String message = failure.getMessage();
        return Bounds.cut(failure.getClass().getSimpleName() + (message == null ? "" : ": " + message),
                DESCRIPTION_CHARS);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }
}
