package io.sluice.cli;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.schemas.tenants.LimitsUpdate;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice limits}: publishes a new version of a tenant's limits to the topic a running
 * serving job reads them from; the admission stage holds the tenant's requests to it from its
 * {@code effectiveAt} event time on.
 */
@Command(name = "limits", mixinStandardHelpOptions = true,
        description = "Publish new limits for a tenant to a running serving job (no restart): rate limits, token "
                + "budgets and maxInFlight, written as in the tenants file. They replace the tenant's limits whole, "
                + "for requests from --effective-at on.")
final class LimitsCommand implements Callable<Integer> {

    /** The producer's properties that {@code --kafka-properties} cannot set, and why. */
    private static final Map<String, String> OWNED_KAFKA_PROPERTIES = Map.of(
            "bootstrap.servers", "give the brokers as --bootstrap-servers",
            "acks", "an update is published only once every in-sync replica has it (acks=all)",
            "enable.idempotence", "a send the producer retries must not publish the update twice",
            "transactional.id", "the update is one record, published without a transaction",
            "key.serializer", "the update's record has the serving job's format",
            "value.serializer", "the update's record has the serving job's format");

    @Option(names = "--tenant", required = true, description = "The tenant.")
    String tenant;

    @Option(names = "--limits", required = true, description = "The limits as JSON, the tenants file's fields: "
            + "{\"rateLimit\": {\"requestsPerMinute\": 600, \"burst\": 60}, \"tokenBudget\": {\"tokensPerDay\": 2000000}}; "
            + "{} lifts every limit.")
    String limits;

    @Option(names = "--effective-at", description = "From this event time on (ISO-8601 instant; default: "
            + "--lead from now, so that the job has the update before the requests it governs).")
    String effectiveAt;

    @Option(names = "--lead", defaultValue = "PT10S", description = "How far ahead of now --effective-at is by "
            + "default (ISO-8601 duration, default: ${DEFAULT-VALUE}).")
    Duration lead;

    // Not --version: that is the standard option printing Sluice's version.
    @Option(names = "--update-version", description = "The update's version: among updates in effect, the highest wins, "
            + "and one not above the tenant's latest is ignored (default: the current time in milliseconds).")
    Long version;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
            description = "Kafka (default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = "--topic", description = "The topic (default: the serving job's, ${DEFAULT-VALUE}).")
    String topic = ServingOptions.TENANT_LIMITS_TOPIC.defaultValue();

    @CommandLine.Mixin
    KafkaPropertiesMixin kafkaProperties;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CommandLine cli = spec.commandLine();
        Instant now = Instant.now();
        Instant from = effectiveAt == null ? now.plus(lead) : UsageCommand.time(effectiveAt, "--effective-at", cli);
        String json = "{\"tenantId\": " + quoted(tenant) + ", \"version\": " + (version == null ? now.toEpochMilli()
                : version) + ", \"effectiveAt\": \"" + from + "\", \"limits\": " + limits + "}";
        LimitsUpdate update;
        try {
            update = LimitsUpdate.parse(json);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, "not a valid limits update: " + e.getMessage());
        }
        Map<String, Object> config = new HashMap<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000"));
        config.putAll(kafkaProperties.read(OWNED_KAFKA_PROPERTIES, cli));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
                new StringSerializer())) {
            var sent = producer.send(new ProducerRecord<>(topic, update.tenantId(), update.toJson()))
                    .get(30, TimeUnit.SECONDS);
            cli.getOut().printf("published limits of tenant %s, version %d, from %s, to %s (partition %d, offset %d):"
                    + " %s%n", update.tenantId(), update.version(), from, topic, sent.partition(), sent.offset(),
                    update.limitsJson());
        }
        return 0;
    }

    private static String quoted(String s) {
        return new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(s).toString();
    }
}
