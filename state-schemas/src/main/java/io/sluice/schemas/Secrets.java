package io.sluice.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Passwords and API keys, read where they are used and never carried: from a file (a mounted
 * secret) or an environment variable of the process that needs them. Settings name the file, never
 * the secret, so no secret appears on a command line, in a job graph, or in the configuration
 * Flink's web UI and REST API show.
 */
public final class Secrets {

    private Secrets() {}

    /**
     * The secret in {@code file} (its content without the trailing line break) if a file is named,
     * else the value of the environment variable {@code envVar}, else null.
     */
    public static String resolve(String file, String envVar) {
        if (file != null && !file.isBlank()) {
            try {
                return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot read the secret file " + file, e);
            }
        }
        String value = envVar == null ? null : System.getenv(envVar);
        return value == null || value.isEmpty() ? null : value;
    }
}
