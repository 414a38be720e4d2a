package io.sluice.jobs.config;

import io.sluice.schemas.KafkaProperties;

import org.apache.flink.configuration.ReadableConfig;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.provider.FileConfigProvider;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Kafka client properties set as {@code sluice.kafka.properties.<name>}, handed to every Kafka
 * source and sink of Sluice's jobs (serving, backfill, replay): what a secured cluster needs
 * ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) and client tuning ({@code linger.ms},
 * {@code metadata.max.age.ms}, the source's {@code partition.discovery.interval.ms}). Each builder
 * sets them after the job's own defaults ({@code linger.ms=0}, {@code transaction.timeout.ms}), so
 * they override those.
 *
 * <p>A property Kafka types as a password ({@code sasl.jaas.config}, {@code ssl.key.password},
 * ...) must be a reference to a Kafka config provider, {@code ${file:/etc/sluice/kafka.properties:sasl.jaas.config}}
 * with {@code config.providers=file} and {@code config.providers.file.class=}{@link FileConfigProvider}:
 * the clients resolve it where they start, and the secret never enters Flink's configuration,
 * which its web UI, REST API and process lists show ({@link ServingOptions#refuseSecrets}).
 *
 * <p>The properties that decide which records a job reads and how its offsets and transactions are
 * kept are the job's, not the user's: a wrong {@code isolation.level} on the settlements loop would
 * count uncommitted spend, and offsets committed by a replay would move the live group. Setting one
 * of them is refused when the configuration is read, naming what to set instead.
 */
public final class KafkaClientProperties {

    public static final String PREFIX = "sluice.kafka.properties.";

    /** The properties Sluice decides, and why a user cannot set them. */
    private static final Map<String, String> OWNED = Map.ofEntries(
            Map.entry("bootstrap.servers", "set sluice.kafka.bootstrap-servers instead"),
            Map.entry("group.id", "set sluice.kafka.group-id instead"),
            Map.entry("transactional.id", "the exactly-once sinks derive it from sluice.kafka.group-id"),
            Map.entry("isolation.level",
                    "each source reads as its delivery needs (read_committed for the job's own loops)"),
            Map.entry("enable.auto.commit", "positions are kept in Flink's checkpoints"),
            Map.entry("commit.offsets.on.checkpoint", "replay and backfill must not move a consumer group's offsets"),
            Map.entry("auto.offset.reset", "each source's starting position is part of the job"),
            Map.entry("key.deserializer", "each source has its own record format"),
            Map.entry("value.deserializer", "each source has its own record format"),
            Map.entry("key.serializer", "each sink has its own record format"),
            Map.entry("value.serializer", "each sink has its own record format"));

    /** The clients' properties that Kafka types as passwords. */
    private static final Set<String> PASSWORDS = Stream.of(ConsumerConfig.configDef(), ProducerConfig.configDef(),
                    AdminClientConfig.configDef())
            .flatMap(def -> def.configKeys().values().stream())
            .filter(key -> key.type == ConfigDef.Type.PASSWORD)
            .map(key -> key.name)
            .collect(Collectors.toUnmodifiableSet());

    /** A value that is wholly a config provider's reference, {@code ${provider:[path:]key}}. */
    private static final Pattern PROVIDED = Pattern.compile("\\$\\{[^}:]+:[^}]+}");

    private KafkaClientProperties() {}

    /**
     * The properties under {@link #PREFIX} in {@code conf}, by Kafka's names.
     *
     * @throws IllegalArgumentException naming the first key that is empty or one Sluice owns
     */
    public static Map<String, String> from(ReadableConfig conf) {
        Map<String, String> properties = new TreeMap<>();
        conf.toMap().forEach((key, value) -> {
            if (!key.startsWith(PREFIX)) {
                return;
            }
            String name = key.substring(PREFIX.length());
            if (name.isBlank()) {
                throw new IllegalArgumentException(key + " names no Kafka property: write " + PREFIX + "<name>");
            }
            properties.put(name, value);
        });
        Map<String, String> checked = KafkaProperties.withoutOwned(properties, OWNED, PREFIX);
        checked.forEach((name, value) -> {
            if (PASSWORDS.contains(name) && !PROVIDED.matcher(value).matches()) {
                String key = PREFIX + name;
                throw new IllegalArgumentException(key + " holds a secret, and the configuration shows in Flink's "
                        + "web UI, its REST API and process lists. Put it in a file and refer to it through a Kafka "
                        + "config provider: " + key + "=${file:/path/to/kafka.properties:" + name + "} with "
                        + PREFIX + "config.providers=file and " + PREFIX + "config.providers.file.class="
                        + FileConfigProvider.class.getName());
            }
        });
        return checked;
    }
}
