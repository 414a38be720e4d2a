package io.sluice.schemas;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Kafka client properties a user adds to the clients Sluice builds (the jobs' sources and sinks,
 * the gateway's producer and consumer, the command line's producer): what a secured cluster needs
 * ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) and client tuning. Each client refuses
 * the properties it decides itself, saying why, instead of letting a user's value silently change
 * what it guarantees. Plain Java, so that every module can share it without Kafka on its classpath.
 */
public final class KafkaProperties {

    private KafkaProperties() {}

    /**
     * The properties, sorted, whose {@code toString()} names them without their values: a login's
     * password may be among them, and whatever holds them (a record's {@code toString()}, an
     * exception's message) can end up in a log.
     */
    private static final class Named extends TreeMap<String, String> {
        private static final long serialVersionUID = 1L;

        Named(Map<String, String> properties) {
            super(properties);
        }

        @Override
        public String toString() {
            return keySet() + " (values not shown)";
        }
    }

    /**
     * The properties in {@code file}, a Java properties file as Kafka's own tools take
     * ({@code --command-config}), read as UTF-8.
     *
     * @throws IllegalArgumentException when the file cannot be read, or names a property without a value
     */
    public static Map<String, String> read(Path file) {
        Properties loaded = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            loaded.load(in);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Cannot read Kafka client properties from " + file + ": " + e, e);
        }
        Map<String, String> properties = new Named(Map.of());
        loaded.forEach((name, value) -> {
            if (value.toString().isBlank()) {
                throw new IllegalArgumentException("The Kafka client property " + name + " in " + file
                        + " has no value");
            }
            properties.put(name.toString(), value.toString());
        });
        return Collections.unmodifiableMap(properties);
    }

    /**
     * {@code properties}, sorted, unmodifiable and shown without their values, after checking that
     * none is one the client decides.
     *
     * @param owned the properties the client decides, each with what to do instead (or why not)
     * @param where what the message puts before a refused property's name: the prefix of its
     *     configuration key, or where it came from
     * @throws IllegalArgumentException naming the first owned property set, and why it cannot be
     */
    public static Map<String, String> withoutOwned(Map<String, String> properties, Map<String, String> owned,
            String where) {
        Map<String, String> sorted = new Named(properties);
        for (String name : sorted.keySet()) {
            String reason = owned.get(name);
            if (reason != null) {
                throw new IllegalArgumentException(where + name + " cannot be set: " + reason);
            }
        }
        return Collections.unmodifiableMap(sorted);
    }
}
