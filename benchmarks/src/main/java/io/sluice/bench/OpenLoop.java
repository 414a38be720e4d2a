package io.sluice.bench;

import java.util.concurrent.TimeUnit;

/**
 * An open-loop load generator's pacing: request {@code i} goes out at its own time, {@code i} / rate
 * seconds after the start, whether or not earlier ones were answered, as independent clients send.
 * A closed loop (send, wait, send) would slow down with the system and hide its queueing.
 */
final class OpenLoop {

    /** Sends request {@code i}. */
    interface Send {
        void send(int i) throws Exception;
    }

    private OpenLoop() {}

    /** Calls {@code send} {@code total} times at {@code rate} per second, on schedule. */
    static void pace(int rate, int total, Send send) throws InterruptedException {
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            long wait = start + i * interval - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait); // pacing an open-loop generator, not synchronisation
            }
            try {
                send.send(i);
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("request " + i + " could not be sent: " + e.getMessage(), e);
            }
        }
    }
}
