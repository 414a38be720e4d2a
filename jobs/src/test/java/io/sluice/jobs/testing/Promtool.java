package io.sluice.jobs.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Prometheus' {@code promtool}, from Debian's {@code prometheus} package, for tests of metrics. */
public final class Promtool {

    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");

    private Promtool() {}

    /** What {@code promtool check metrics} said of an exposition, and its exit code. */
    public record Check(int exitCode, String output) {
        /** Whether the text parsed (0: clean, 3: parsed with lint findings; 1 is a parse error). */
        public boolean parsed() {
            return (exitCode == 0 || exitCode == 3) && !output.contains("error while linting");
        }
    }

    /** Skips the calling test, saying how to get promtool, when it is not installed. */
    public static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isExecutable(PROMTOOL), "promtool is missing: install Debian's prometheus "
                + "package (apt-get install --no-install-recommends prometheus), as .ci/run does");
    }

    /** Runs {@code promtool check metrics} on {@code exposition}. */
    public static Check checkMetrics(String exposition) throws IOException, InterruptedException {
        assumeInstalled();
        Process p = new ProcessBuilder(PROMTOOL.toString(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool check metrics did not finish in 60 s");
        }
        return new Check(p.exitValue(), out);
    }
}
