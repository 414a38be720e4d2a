package io.sluice.bench;

/**
 * What stops the threads of this JVM that is not their own work: garbage-collection pauses and
 * hiccups (how late an idle thread woke from 1 ms sleeps), both counted from the last {@link #clear()}.
 */
final class Stalls implements AutoCloseable {
    final GcPauses gc = GcPauses.start();
    final Hiccups hiccups = Hiccups.start();

    void clear() {
        gc.clear();
        hiccups.clear();
    }

    @Override
    public void close() throws Exception {
        gc.close();
        hiccups.close();
    }
}
