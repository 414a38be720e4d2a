package io.sluice.jobs.eval;

import io.sluice.cli.SluiceCli;

import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sluice eval} on a small BEIR-layout set generated here. */
class EvalCommandITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension();

    @TempDir
    Path dir;

    @Test
    void reportsAllThreeModesAndWritesATrecRunFile() throws Exception {
        Path data = Files.createDirectories(dir.resolve("tiny"));
        Files.write(data.resolve("corpus.jsonl"), List.of(
                "{\"_id\":\"d1\",\"title\":\"Vitamin D\",\"text\":\"Vitamin D deficiency is linked to weaker bones in older adults.\"}",
                "{\"_id\":\"d2\",\"title\":\"Sleep\",\"text\":\"Short sleep raises the risk of heart disease.\"}",
                "{\"_id\":\"d3\",\"title\":\"Coffee\",\"text\":\"Moderate coffee intake shows no harm to the liver.\"}",
                "{\"_id\":\"d4\",\"title\":\"Exercise\",\"text\":\"Regular aerobic exercise lowers blood pressure.\"}"));
        Files.write(data.resolve("queries.jsonl"), List.of(
                "{\"_id\":\"q1\",\"text\":\"Does lack of vitamin D weaken bones?\"}",
                "{\"_id\":\"q2\",\"text\":\"Is too little sleep bad for the heart?\"}",
                "{\"_id\":\"q3\",\"text\":\"an unjudged query\"}"));
        Files.createDirectories(data.resolve("qrels"));
        Files.write(data.resolve("qrels/test.tsv"), List.of("query-id\tcorpus-id\tscore", "q1\td1\t1", "q2\td2\t1"));
        Path run = dir.resolve("run.txt");

        StringWriter out = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(new StringWriter()));
        int code = cli.execute("eval", "--dataset", data.toString(), "--index-dir", dir.resolve("index").toString(),
                "--run-file", run.toString(), "--parallelism", "1", "--model-threads", "1", "--folds", "2");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("(2 queries)").contains("| bm25 ").contains("| vector ").contains("| hybrid ");
        // Both judged queries find their document first in hybrid mode.
        assertThat(out.toString()).containsPattern("\\| hybrid +\\| 1\\.0000");
        List<String> lines = Files.readAllLines(run);
        assertThat(lines).hasSize(8); // 2 queries x 4 documents
        assertThat(lines.get(0)).matches("q1 Q0 d1 1 1\\.000000 sluice-hybrid");
        // --folds: each query is one fold; the settings chosen on the other one find it first too.
        assertThat(out.toString()).contains("2-fold cross-validation over " + 9 * 2 * 16 + " settings (seed 13)")
                .containsPattern("\\| 1 \\| 1 \\| (rrf|convex):[0-9.]+, bm25 k1 [0-9.]+ b [0-9.]+ \\| 1\\.0000 \\| 1\\.0000 \\| 1\\.0000 \\|")
                .contains("Chosen on all queries: rrf:5, bm25 k1 1.2 b 0.75, nDCG@10 1.0000");
    }
}
