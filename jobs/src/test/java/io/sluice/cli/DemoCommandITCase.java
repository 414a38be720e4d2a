package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's first command, non-interactively: {@code sluice demo --ask ...} starts Kafka,
 * PostgreSQL and a MiniCluster, backfills Sluice's own docs, answers, and shuts everything down.
 */
class DemoCommandITCase {

    @TempDir
    Path work;

    @Test
    void answersAQuestionAboutSluiceFromItsOwnDocs() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));

        int code = cli.execute("demo", "--work-dir", work.toString(),
                "--ask", "Where does the conversation operator keep the recent turns of a conversation?");

        assertThat(code).as("exit code; stderr:%n%s", err).isZero();
        String answer = out.toString();
        assertThat(answer).contains("[1]").containsPattern("\\[1\\] .+ \\((README|ARCHITECTURE)\\.md#\\d+\\)");
        assertThat(answer).containsIgnoringCase("RocksDB");
        assertThat(answer).contains("retrieve ").contains("end-to-end ").contains("snapshot ");
        assertThat(err.toString()).contains("backfill: wrote snapshot");
    }
}
