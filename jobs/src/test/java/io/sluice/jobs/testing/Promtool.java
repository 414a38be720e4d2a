package io.sluice.jobs.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        return run(null, exposition, "check", "metrics");
    }

    /**
     * Runs {@code promtool} with {@code args} in {@code dir} (null: the current directory), with
     * {@code input} (or nothing) on its standard input; skips the test when promtool is missing.
     */
    public static Check run(Path dir, String input, String... args) throws IOException, InterruptedException {
        assumeInstalled();
        List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            builder.directory(dir.toFile());
        }
        Process p = builder.start();
        if (input != null) {
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("promtool " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Check(p.exitValue(), out);
    }

    /** The version of promtool, for example {@code 2.42.0}. */
    public static String version() throws IOException, InterruptedException {
        Matcher m = Pattern.compile("version (\\d+\\.\\d+\\.\\d+)")
                .matcher(run(null, null, "--version").output());
        if (!m.find()) {
            throw new IllegalStateException("promtool --version names no version");
        }
        return m.group(1);
    }
}
