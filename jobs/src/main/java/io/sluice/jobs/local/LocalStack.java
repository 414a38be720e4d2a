package io.sluice.jobs.local;

import io.sluice.jobs.config.ServingOptions;

import org.apache.flink.configuration.Configuration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The services a serving job needs on one machine: Kafka and PostgreSQL, each embedded (started
 * here from Maven Central artifacts) unless an external address is given, and the chat topics.
 * Used by {@code sluice demo} and the integration tests.
 */
public final class LocalStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    /**
     * External services to use instead of embedded ones; null fields mean embedded. The password of
     * an external database is read from {@code jdbcPasswordFile}, else from SLUICE_AUDIT_PASSWORD.
     */
    public record External(String bootstrapServers, String jdbcUrl, String jdbcUser, String jdbcPasswordFile) {
        public static final External NONE = new External(null, null, null, null);
    }

    private final Path workDir;
    private final EmbeddedKafka kafka;
    private final EmbeddedPostgres postgres;
    private final String bootstrapServers;
    private final String jdbcUrl;
    private final String jdbcUser;
    private final String jdbcPasswordFile;

    private LocalStack(Path workDir, EmbeddedKafka kafka, EmbeddedPostgres postgres, String bootstrapServers,
            String jdbcUrl, String jdbcUser, String jdbcPasswordFile) {
        this.workDir = workDir;
        this.kafka = kafka;
        this.postgres = postgres;
        this.bootstrapServers = bootstrapServers;
        this.jdbcUrl = jdbcUrl;
        this.jdbcUser = jdbcUser;
        this.jdbcPasswordFile = jdbcPasswordFile;
    }

    /** Starts what is not external and creates the chat topics with {@code partitions} each. */
    public static LocalStack start(Path workDir, External external, int partitions) throws Exception {
        Files.createDirectories(workDir);
        EmbeddedKafka kafka = null;
        EmbeddedPostgres postgres = null;
        try {
            String servers = external.bootstrapServers();
            if (servers == null) {
                Path kafkaDir = workDir.resolve("kafka");
                deleteTree(kafkaDir); // a fresh broker per run: no stale offsets or transactions
                kafka = EmbeddedKafka.start(kafkaDir);
                servers = kafka.bootstrapServers();
            }
            String url = external.jdbcUrl();
            String user = external.jdbcUser();
            if (url == null) {
                postgres = EmbeddedPostgres.start(workDir.resolve("postgres"));
                url = postgres.jdbcUrl();
                user = postgres.user();
            }
            EmbeddedKafka.createTopics(servers, List.of(
                    ServingOptions.REQUESTS_TOPIC.defaultValue(),
                    ServingOptions.RESPONSES_TOPIC.defaultValue(),
                    ServingOptions.REJECTED_TOPIC.defaultValue()), partitions);
            return new LocalStack(workDir, kafka, postgres, servers, url, user,
                    external.jdbcPasswordFile());
        } catch (Exception e) {
            if (kafka != null) {
                kafka.close();
            }
            if (postgres != null) {
                postgres.close();
            }
            throw e;
        }
    }

    /** The embedded PostgreSQL, or null when an external one is used. */
    public EmbeddedPostgres embeddedPostgres() {
        return postgres;
    }

    /** The embedded Kafka broker, or null when an external one is used. */
    public EmbeddedKafka embeddedKafka() {
        return kafka;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public java.sql.Connection openAuditConnection() throws java.sql.SQLException {
        return auditConnection().open();
    }

    /** The audit trail of these services, as the job reaches it. */
    public io.sluice.operators.audit.AuditConnection auditConnection() {
        return new io.sluice.operators.audit.AuditConnection(jdbcUrl, jdbcUser, jdbcPasswordFile,
                ServingOptions.AUDIT_SOCKET_TIMEOUT.defaultValue());
    }

    /** The serving job's settings for these services and {@code indexDir}. */
    public Configuration servingConfig(Path indexDir) {
        Configuration conf = new Configuration();
        conf.set(ServingOptions.BOOTSTRAP_SERVERS, bootstrapServers);
        conf.set(ServingOptions.AUDIT_JDBC_URL, jdbcUrl);
        conf.set(ServingOptions.AUDIT_USER, jdbcUser);
        if (jdbcPasswordFile != null) {
            conf.set(ServingOptions.AUDIT_PASSWORD_FILE, jdbcPasswordFile);
        }
        conf.set(ServingOptions.INDEX_DIR, indexDir.toAbsolutePath().toString());
        conf.setString("execution.checkpointing.dir", workDir.resolve("checkpoints").toUri().toString());
        return conf;
    }

    public ChatClient client(boolean readCommitted, boolean fromBeginning) {
        return new ChatClient(bootstrapServers, ServingOptions.REQUESTS_TOPIC.defaultValue(),
                ServingOptions.RESPONSES_TOPIC.defaultValue(), ServingOptions.REJECTED_TOPIC.defaultValue(),
                readCommitted, fromBeginning);
    }

    @Override
    public void close() {
        if (kafka != null) {
            try {
                kafka.close();
            } catch (RuntimeException e) {
                LOG.warn("Kafka did not stop cleanly: {}", e.toString());
            }
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("PostgreSQL did not stop cleanly: {}", e.toString());
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
