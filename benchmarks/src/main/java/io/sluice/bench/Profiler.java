package io.sluice.bench;

import one.profiler.AsyncProfiler;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * async-profiler (which Flink ships for its own profiling REST endpoint) inside this JVM, where the
 * benchmark's MiniCluster runs the jobs: CPU samples by interval timer, which needs no
 * {@code perf_events} permission, or heap allocations, written as collapsed stacks (one line per stack, a count at the
 * end; the input of flame-graph tools).
 */
final class Profiler {

    private final AsyncProfiler profiler;

    private Profiler(AsyncProfiler profiler) {
        this.profiler = profiler;
    }

    /** What the profiler samples. */
    enum Event {
        /** CPU time, by interval timer, one sample per millisecond. */
        cpu("event=itimer,interval=1ms"),
        /** Heap allocations, sampled where a thread takes a new allocation buffer (so roughly by bytes). */
        alloc("event=alloc"),
        /**
         * Wall-clock time of every thread, running or not, every 5 ms, per thread: where a task's
         * thread waits (a checkpoint's synchronous part, a lock), which CPU samples do not show.
         */
        wall("event=wall,interval=5ms,threads");

        private final String arguments;

        Event(String arguments) {
            this.arguments = arguments;
        }
    }

    static Profiler start(Event event, PrintWriter log) throws IOException {
        AsyncProfiler profiler = AsyncProfiler.getInstance(extractedLibrary().toString());
        profiler.execute("start," + event.arguments);
        log.println("async-profiler started (" + event + ")");
        log.flush();
        return new Profiler(profiler);
    }

    void stop(Path collapsed) throws IOException {
        Files.createDirectories(collapsed.toAbsolutePath().getParent());
        profiler.execute("stop,collapsed,file=" + collapsed.toAbsolutePath());
    }

    /** The jar carries the native library per platform; the loader needs it as a file. */
    private static Path extractedLibrary() throws IOException {
        String arch = System.getProperty("os.arch").contains("aarch64") ? "linux-arm64" : "linux-x64";
        try (var in = AsyncProfiler.class.getResourceAsStream("/" + arch + "/libasyncProfiler.so")) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("async-profiler has no library for " + arch));
            }
            Path file = Files.createTempFile("libasyncProfiler", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return file;
        }
    }
}
