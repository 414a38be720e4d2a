package io.sluice.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SluiceCliTest {

    @Test
    void aFailedCommandPrintsItsReasonAndExitsWithOne(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err));
        int code = cli.execute("backfill", "--docs", dir.resolve("missing").toString(), "--index-dir", dir.toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).startsWith("sluice backfill: Documents not found: ").doesNotContain("\tat ");
    }

    @Test
    void describeSkipsWrappersAndRepeats() {
        var e = new IllegalStateException("job failed", new UncheckedIOException(new IOException("disk full")));
        assertThat(SluiceCli.describe(e)).isEqualTo("job failed\n  caused by: disk full");
    }

    @Test
    void usageErrorsAreReportedByPicocli() {
        StringWriter err = new StringWriter();
        int code = SluiceCli.commandLine().setErr(new PrintWriter(err)).execute("backfill");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option");
    }

    @Test
    void everyCommandAnswersHelp() {
        CommandLine root = SluiceCli.commandLine();
        for (String name : root.getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue;
            }
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                    .execute(name, "--help");
            assertThat(code).as("sluice %s --help; stderr: %s", name, err).isZero();
            assertThat(out.toString()).as("sluice %s --help", name).contains("Usage: sluice " + name);
        }
    }
}
