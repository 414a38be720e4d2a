package io.sluice.bench;

import io.sluice.local.EmbeddedKafka;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Kafka broker in a child JVM, as a deployment runs it: its allocation and its collector's pauses
 * stay out of the JVM that runs the jobs and the load generator. The child prints
 * {@code bootstrap <servers>} once the broker is ready and stops it when its standard input ends.
 */
final class KafkaJvm implements AutoCloseable {

    private final Process process;
    private final String bootstrapServers;

    private KafkaJvm(Process process, String bootstrapServers) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    /** Starts a fresh broker with its data in {@code dataDir} and its log in {@code log}. */
    static KafkaJvm start(Path dataDir, Path log) throws IOException {
        Process process = ChildJvm.start(KafkaJvm.class, "1g", 0, log, List.of(dataDir.toAbsolutePath().toString()));
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        return new KafkaJvm(process, ChildJvm.ready(process, out, "bootstrap ", "the Kafka broker's JVM"));
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() throws Exception {
        process.getOutputStream().close(); // end of input: the child stops its broker and exits
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    /** The child JVM: one argument, the broker's data directory (emptied first). */
    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        System.setOut(System.err); // standard output carries the bootstrap line, and nothing else
        Path dataDir = Path.of(args[0]);
        io.sluice.operators.retrieve.IndexStore.deleteTree(dataDir); // a fresh broker per run, as LocalStack's
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir)) {
            out.println("bootstrap " + kafka.bootstrapServers());
            out.flush();
            while (System.in.read() >= 0) {
                // nothing is asked of the broker; the end of input stops it
            }
        }
    }
}
