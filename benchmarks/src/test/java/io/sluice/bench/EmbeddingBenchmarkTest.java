package io.sluice.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the benchmark for a moment to keep it working; it measures nothing worth asserting here. */
class EmbeddingBenchmarkTest {

    @Test
    void runsEveryContenderAndWritesItsTable(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("table.md");
        StringWriter out = new StringWriter();
        int code = new CommandLine(new EmbeddingBenchmark()).setOut(new PrintWriter(out))
                .setErr(new PrintWriter(new StringWriter()))
                .execute("--batch-sizes", "2", "--seconds", "0.2", "--warmup-seconds", "0.1",
                        "--flink-sentences", "8", "--threads", "1", "--output", output.toString());
        assertThat(code).isZero();
        String table = Files.readString(output);
        assertThat(table).isEqualTo(out.toString()).contains("| batch | (a) bare ORT").containsPattern("\\n\\| 2 \\| [0-9.]+ \\|");
    }

    @Test
    void sentencesAreSeededAndTheSameEveryRun() {
        assertThat(EmbeddingBenchmark.sentences(3)).isEqualTo(EmbeddingBenchmark.sentences(3)).hasSize(3);
    }
}
