package io.sluice.local;

import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.retrieve.IndexStore;

import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The services a serving job needs on one machine: Kafka, PostgreSQL and Redis, each embedded (started
 * here from Maven Central artifacts) unless an external address is given, and the chat topics.
 * Used by {@code sluice demo} and the integration tests.
 */
public final class LocalStack implements AutoCloseable {

    /** The chat topics, named as the serving job names them by default ({@code sluice.topics.*}). */
    public static final String REQUESTS_TOPIC = "chat.requests";
    public static final String RESPONSES_TOPIC = "chat.responses";
    public static final String REJECTED_TOPIC = "chat.rejected";
    public static final String REPLIES_TOPIC = "chat.replies";
    /** The job's own loop of settlements, from the stages after admission back to it. */
    public static final String USAGE_TOPIC = "chat.usage";
    /** New versions of tenants' limits, read by the admission stage while the job runs. */
    public static final String TENANT_LIMITS_TOPIC = "chat.tenant-limits";

    /**
     * The serving job's settings this stack fills in, by key: this module sits below the job's and
     * cannot name its options (a test in the jobs module checks these keys against them).
     */
    public static final String BOOTSTRAP_SERVERS_KEY = "sluice.kafka.bootstrap-servers";
    public static final String AUDIT_JDBC_URL_KEY = "sluice.audit.jdbc-url";
    public static final String AUDIT_USER_KEY = "sluice.audit.user";
    public static final String AUDIT_PASSWORD_FILE_KEY = "sluice.audit.password-file";
    public static final String INDEX_DIR_KEY = "sluice.index.dir";
    public static final String REDIS_URI_KEY = "sluice.cache.redis-uri";

    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

    /**
     * External services to use instead of embedded ones; null fields mean embedded. The password of
     * an external database is read from {@code jdbcPasswordFile}, else from SLUICE_AUDIT_PASSWORD.
     */
    public record External(String bootstrapServers, String jdbcUrl, String jdbcUser, String jdbcPasswordFile,
            String redisUri) {
        public static final External NONE = new External(null, null, null, null, null);

        /** Kafka and PostgreSQL as given, Redis embedded. */
        public External(String bootstrapServers, String jdbcUrl, String jdbcUser, String jdbcPasswordFile) {
            this(bootstrapServers, jdbcUrl, jdbcUser, jdbcPasswordFile, null);
        }
    }

    private final Path workDir;
    private final EmbeddedKafka kafka;
    private final EmbeddedPostgres postgres;
    private final EmbeddedRedis redis;
    private final String redisUri;
    private final String bootstrapServers;
    private final String jdbcUrl;
    private final String jdbcUser;
    private final String jdbcPasswordFile;

    private LocalStack(Path workDir, EmbeddedKafka kafka, EmbeddedPostgres postgres, EmbeddedRedis redis,
            String redisUri, String bootstrapServers, String jdbcUrl, String jdbcUser, String jdbcPasswordFile) {
        this.workDir = workDir;
        this.kafka = kafka;
        this.postgres = postgres;
        this.redis = redis;
        this.redisUri = redisUri;
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
        EmbeddedRedis redis = null;
        try {
            String servers = external.bootstrapServers();
            if (servers == null) {
                Path kafkaDir = workDir.resolve("kafka");
                IndexStore.deleteTree(kafkaDir); // a fresh broker per run: no stale offsets or transactions
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
            String redisUri = external.redisUri();
            if (redisUri == null) {
                redis = EmbeddedRedis.start();
                redisUri = redis.uri();
            }
            EmbeddedKafka.createTopics(servers, List.of(REQUESTS_TOPIC, RESPONSES_TOPIC, REJECTED_TOPIC, REPLIES_TOPIC,
                    USAGE_TOPIC, TENANT_LIMITS_TOPIC),
                    partitions);
            return new LocalStack(workDir, kafka, postgres, redis, redisUri, servers, url, user,
                    external.jdbcPasswordFile());
        } catch (Exception e) {
            if (redis != null) {
                redis.close();
            }
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

    /** The caches' Redis: embedded, or the external one. */
    public String redisUri() {
        return redisUri;
    }

    /** The embedded Redis, or null when an external one is used. */
    public EmbeddedRedis embeddedRedis() {
        return redis;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String jdbcUser() {
        return jdbcUser;
    }

    public java.sql.Connection openAuditConnection() throws java.sql.SQLException {
        return auditConnection().open();
    }

    /** The audit trail of these services, as the job reaches it. */
    public AuditConnection auditConnection() {
        return new AuditConnection(jdbcUrl, jdbcUser, jdbcPasswordFile, java.time.Duration.ofSeconds(60));
    }

    /**
     * The serving job's settings for these services and {@code indexDir}. Its checkpoints and the
     * changelog, which is part of them, are kept under this stack's directory. The changelog's path
     * counts only where this configuration starts the MiniCluster too (demo, serve, benchmarks): a
     * TaskManager takes it from its own configuration, not the job's.
     */
    public Configuration servingConfig(Path indexDir) {
        Configuration conf = new Configuration();
        conf.setString(BOOTSTRAP_SERVERS_KEY, bootstrapServers);
        conf.setString(AUDIT_JDBC_URL_KEY, jdbcUrl);
        conf.setString(AUDIT_USER_KEY, jdbcUser);
        if (jdbcPasswordFile != null) {
            conf.setString(AUDIT_PASSWORD_FILE_KEY, jdbcPasswordFile);
        }
        conf.setString(INDEX_DIR_KEY, indexDir.toAbsolutePath().toString());
        conf.setString(REDIS_URI_KEY, redisUri);
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, workDir.resolve("checkpoints").toUri().toString());
        conf.set(FsStateChangelogOptions.BASE_PATH, workDir.resolve("changelog").toUri().toString());
        return conf;
    }

    public ChatClient client(boolean readCommitted, boolean fromBeginning) {
        return new ChatClient(bootstrapServers, REQUESTS_TOPIC, RESPONSES_TOPIC, REJECTED_TOPIC,
                readCommitted, fromBeginning);
    }

    @Override
    public void close() {
        if (redis != null) {
            try {
                redis.close();
            } catch (RuntimeException e) {
                LOG.warn("Redis did not stop cleanly: {}", e.toString());
            }
        }
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
}
