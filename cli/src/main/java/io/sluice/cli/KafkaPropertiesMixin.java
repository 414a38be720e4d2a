package io.sluice.cli;

import io.sluice.schemas.KafkaProperties;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code --kafka-properties FILE}: Kafka client properties for a command's own Kafka clients, in a
 * Java properties file as Kafka's tools take them. A file, not options, because a secured cluster's
 * settings hold a password, which must not show on a command line.
 */
final class KafkaPropertiesMixin {

    @Option(names = "--kafka-properties", paramLabel = "FILE", description = "Kafka client properties for this "
            + "command's Kafka clients, in a Java properties file: what a secured cluster needs (security.protocol, "
            + "sasl.*, ssl.*) and client tuning. Keep the file readable by this user only, or refer to its secrets "
            + "through a Kafka config provider.")
    Path file;

    /** The file's properties (none without the option), checked against those the command decides. */
    Map<String, String> read(Map<String, String> owned, CommandLine commandLine) {
        if (file == null) {
            return Map.of();
        }
        try {
            return KafkaProperties.withoutOwned(KafkaProperties.read(file), owned, "--kafka-properties: ");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, e.getMessage(), e, null, file.toString());
        }
    }
}
