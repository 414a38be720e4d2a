package io.sluice.jobs.testing;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits on a condition that is checked by polling, for state outside the test's process view. */
public final class Await {

    private Await() {}

    public static void until(String what, Duration timeout, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for: " + what);
            }
            // Polling an external system (PostgreSQL) that offers no notification to wait on.
            Thread.sleep(100);
        }
    }
}
