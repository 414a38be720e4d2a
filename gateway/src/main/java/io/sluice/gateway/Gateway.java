package io.sluice.gateway;

import io.sluice.schemas.KafkaProperties;
import io.sluice.schemas.RequestSignature;
import io.sluice.schemas.TraceParent;
import io.sluice.schemas.Secrets;
import io.sluice.schemas.tenants.TenantRegistry;

import com.fasterxml.jackson.databind.JsonNode;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;

import org.apache.flink.util.IOUtils;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One gateway instance: an OpenAI-compatible HTTP server (Vert.x) in front of the serving job.
 * {@code POST /v1/chat/completions} authenticates the API key (its tenant is the request's, never
 * the caller's word), sends the turn to {@code chat.requests} signed and naming this instance's
 * partition of {@code chat.replies}, and answers from what arrives there: one
 * {@code chat.completion}, or {@code chat.completion.chunk} events as the answer streams.
 * {@code GET /v1/models} lists the answer models; {@code GET /v1/sluice/requests/{id}} returns an
 * answer that outlived the client's wait. Every instance needs its own reply partition.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    /** The header that names the conversation whose history the job keeps. */
    public static final String CONVERSATION_HEADER = "X-Sluice-Conversation";

    /** Where a request's arrival time ({@link System#nanoTime}) is kept in its routing context. */
    private static final String ARRIVED = "sluice.arrived";
    /** The same, on the wall clock in microseconds, as spans are timed. */
    private static final String ARRIVED_MICROS = "sluice.arrived-micros";

    /** The environment variable the TLS keystore's password is read from when no file is named. */
    public static final String KEYSTORE_PASSWORD_ENV = "SLUICE_GATEWAY_KEYSTORE_PASSWORD";

    /**
     * The environment variable the keys database's password is read from when no file is named: the
     * gateway's own login (it may only look keys up), not the audit writer's.
     */
    public static final String DATABASE_PASSWORD_ENV = "SLUICE_GATEWAY_PASSWORD";

    /**
     * The Kafka client properties the gateway decides, and why: a request it accepted reaches the
     * job once (an idempotent producer, acknowledged by every in-sync replica), and each instance
     * reads its own reply partition from its end, with no consumer group.
     */
    public static final Map<String, String> OWNED_KAFKA_PROPERTIES = Map.ofEntries(
            Map.entry("bootstrap.servers", "give the brokers as the gateway's bootstrap servers (--bootstrap-servers)"),
            Map.entry("acks", "a request is accepted only once every in-sync replica has it (acks=all)"),
            Map.entry("enable.idempotence", "a send the producer retries must not write the request twice"),
            Map.entry("transactional.id", "the gateway's producer is not transactional"),
            Map.entry("group.id", "each instance reads its own reply partition, assigned, with no consumer group"),
            Map.entry("enable.auto.commit", "each instance reads its own reply partition, with no consumer group"),
            Map.entry("auto.offset.reset", "each instance reads its reply partition from its end at start"),
            Map.entry("key.serializer", "the gateway's records have a format of their own"),
            Map.entry("value.serializer", "the gateway's records have a format of their own"),
            Map.entry("key.deserializer", "the gateway's records have a format of their own"),
            Map.entry("value.deserializer", "the gateway's records have a format of their own"));

    /**
     * How an instance is set up; {@link #builder} fills in the defaults.
     *
     * @param replyPartition this instance's partition of the replies topic (unique per instance)
     * @param models the answer models the serving job offers (what {@code model} may name)
     * @param maxWaiting the most chat completions the instance waits for answers to at once; more are
     *     refused with a 503 ({@code overloaded}) and {@code Retry-After}, so that a job that falls
     *     behind, or a flood of requests, cannot grow what the instance holds without a bound
     * @param maxKeyLookups the most bearers the instance looks up at once (API keys not in its cache,
     *     JWTs); more get a 503 ({@code keys_busy}) and {@code Retry-After}, so that a flood of made-up
     *     keys queues no more work than this, while keys in the cache keep working
     * @param readTimeout how long a client has to send a whole request, from connecting or from its
     *     last response's end ({@link ReadDeadlines})
     * @param jdbcPasswordFile where the keys database's password is (else the variable {@code jdbcPasswordEnv})
     * @param jdbcPasswordEnv the environment variable the password is read from without a file
     *     ({@link #DATABASE_PASSWORD_ENV} unless the gateway shares another component's login)
     * @param signingKeyFile where the key shared with the job is (else SLUICE_SIGNING_KEY; neither:
     *     requests go unsigned, which a job that requires signatures refuses)
     * @param corsOrigins origins browsers may call from (none: no cross-origin calls)
     * @param jwt JWT bearer tokens accepted besides API keys; null: API keys only
     * @param keystore a PKCS#12 or JKS keystore to serve HTTPS with; null: plain HTTP (behind a
     *     TLS-terminating proxy, or on localhost)
     * @param keystorePasswordFile where the keystore's password is (else SLUICE_GATEWAY_KEYSTORE_PASSWORD)
     * @param demoKey an API key the chat page hands to anyone who asks ("demo login"); for the local
     *     demo only, null everywhere else
     * @param tenantsFile the serving job's tenants file, for the models each tenant may use; null:
     *     every tenant may use every model (the job still refuses what its own file does not allow)
     * @param tracing where the gateway's spans go ({@link GatewayTracing}); off by default
     * @param kafkaProperties Kafka client properties for the gateway's producer and consumer (a
     *     secured cluster's {@code security.protocol}, {@code sasl.*}, {@code ssl.*}; tuning), set
     *     after the gateway's own, so they override those; none of {@link #OWNED_KAFKA_PROPERTIES}
     */
    public record Config(String host, int port, int replyPartition, String bootstrapServers, String requestsTopic,
            String repliesTopic, String jdbcUrl, String jdbcUser, String jdbcPasswordFile, String jdbcPasswordEnv,
            String signingKeyFile, List<String> models, int maxBodyBytes, int maxWaiting, int maxKeyLookups,
            Duration readTimeout, Duration answerTimeout, Duration keyCacheTtl, List<String> corsOrigins,
            JwtAuth.Settings jwt, String keystore, String keystorePasswordFile, String demoKey, String tenantsFile,
            GatewayTracing.Settings tracing, Map<String, String> kafkaProperties) {

        public Config {
            tracing = tracing == null ? GatewayTracing.Settings.OFF : tracing;
            kafkaProperties = KafkaProperties.withoutOwned(kafkaProperties, OWNED_KAFKA_PROPERTIES,
                    "the gateway's Kafka client property ");
            models = List.copyOf(models);
            corsOrigins = List.copyOf(corsOrigins);
            if (models.isEmpty()) {
                throw new IllegalArgumentException("the gateway needs at least one answer model");
            }
            if (maxWaiting < 1) {
                throw new IllegalArgumentException("the gateway must wait for at least one answer at a time, not "
                        + maxWaiting);
            }
            if (maxKeyLookups < 1) {
                throw new IllegalArgumentException("the gateway must look up at least one key at a time, not "
                        + maxKeyLookups);
            }
            if (readTimeout.isNegative() || readTimeout.isZero()) {
                throw new IllegalArgumentException("the read timeout must be positive, not " + readTimeout);
            }
        }

        /**
         * The defaults: 127.0.0.1:8080, partition 0, Sluice's topics, extractive only, bodies up to 256
         * KiB, 4,096 answers waited for and 64 keys looked up at once, 30 s to send a request, 120 s to
         * wait for its answer.
         */
        public static Builder builder(String bootstrapServers, String jdbcUrl) {
            return new Builder(bootstrapServers, jdbcUrl);
        }
    }

    /**
     * Builds a {@link Config} from its defaults. The defaults are public so that the command line
     * shows and applies the same values.
     */
    public static final class Builder {
        public static final String DEFAULT_HOST = "127.0.0.1";
        public static final int DEFAULT_PORT = 8080;
        public static final String DEFAULT_REQUESTS_TOPIC = "chat.requests";
        public static final String DEFAULT_REPLIES_TOPIC = "chat.replies";
        public static final List<String> DEFAULT_MODELS = List.of("extractive");
        public static final int DEFAULT_MAX_BODY_BYTES = 256 * 1024;
        public static final int DEFAULT_MAX_WAITING = 4_096;
        public static final int DEFAULT_MAX_KEY_LOOKUPS = 64;
        public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_ANSWER_TIMEOUT = Duration.ofSeconds(120);
        public static final Duration DEFAULT_KEY_CACHE_TTL = Duration.ofSeconds(10);

        private final String bootstrapServers;
        private final String jdbcUrl;
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int replyPartition;
        private String requestsTopic = DEFAULT_REQUESTS_TOPIC;
        private String repliesTopic = DEFAULT_REPLIES_TOPIC;
        private String jdbcUser;
        private String jdbcPasswordFile;
        private String jdbcPasswordEnv = DATABASE_PASSWORD_ENV;
        private String signingKeyFile;
        private List<String> models = DEFAULT_MODELS;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxWaiting = DEFAULT_MAX_WAITING;
        private int maxKeyLookups = DEFAULT_MAX_KEY_LOOKUPS;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration answerTimeout = DEFAULT_ANSWER_TIMEOUT;
        private Duration keyCacheTtl = DEFAULT_KEY_CACHE_TTL;
        private List<String> corsOrigins = List.of();
        private JwtAuth.Settings jwt;
        private String keystore;
        private String keystorePasswordFile;
        private String demoKey;
        private String tenantsFile;
        private GatewayTracing.Settings tracing = GatewayTracing.Settings.OFF;
        private Map<String, String> kafkaProperties = Map.of();

        private Builder(String bootstrapServers, String jdbcUrl) {
            this.bootstrapServers = bootstrapServers;
            this.jdbcUrl = jdbcUrl;
        }

        public Builder listen(String host, int port) {
            this.host = host;
            this.port = port;
            return this;
        }

        public Builder replyPartition(int replyPartition) {
            this.replyPartition = replyPartition;
            return this;
        }

        public Builder topics(String requests, String replies) {
            this.requestsTopic = requests;
            this.repliesTopic = replies;
            return this;
        }

        /** The keys database's login; without a password file, the password is in {@link #DATABASE_PASSWORD_ENV}. */
        public Builder database(String user, String passwordFile) {
            return database(user, passwordFile, DATABASE_PASSWORD_ENV);
        }

        /** As {@link #database(String, String)}, reading the password from {@code passwordEnv} without a file. */
        public Builder database(String user, String passwordFile, String passwordEnv) {
            this.jdbcUser = user;
            this.jdbcPasswordFile = passwordFile;
            this.jdbcPasswordEnv = passwordEnv;
            return this;
        }

        public Builder signingKeyFile(String signingKeyFile) {
            this.signingKeyFile = signingKeyFile;
            return this;
        }

        public Builder models(List<String> models) {
            this.models = models;
            return this;
        }

        public Builder maxBodyBytes(int maxBodyBytes) {
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        public Builder maxWaiting(int maxWaiting) {
            this.maxWaiting = maxWaiting;
            return this;
        }

        public Builder maxKeyLookups(int maxKeyLookups) {
            this.maxKeyLookups = maxKeyLookups;
            return this;
        }

        public Builder readTimeout(Duration readTimeout) {
            this.readTimeout = readTimeout;
            return this;
        }

        public Builder answerTimeout(Duration answerTimeout) {
            this.answerTimeout = answerTimeout;
            return this;
        }

        public Builder keyCacheTtl(Duration keyCacheTtl) {
            this.keyCacheTtl = keyCacheTtl;
            return this;
        }

        public Builder corsOrigins(List<String> corsOrigins) {
            this.corsOrigins = corsOrigins;
            return this;
        }

        public Builder jwt(JwtAuth.Settings jwt) {
            this.jwt = jwt;
            return this;
        }

        public Builder tls(String keystore, String keystorePasswordFile) {
            this.keystore = keystore;
            this.keystorePasswordFile = keystorePasswordFile;
            return this;
        }

        public Builder demoKey(String demoKey) {
            this.demoKey = demoKey;
            return this;
        }

        /** Spans to {@code exporter} ({@code none}: none; {@code otlp}: to {@code otlpEndpoint}, or OTEL_*'s). */
        public Builder tracing(String exporter, String otlpEndpoint) {
            this.tracing = new GatewayTracing.Settings(exporter, otlpEndpoint);
            return this;
        }

        public Builder tenantsFile(String tenantsFile) {
            this.tenantsFile = tenantsFile;
            return this;
        }

        /** Kafka client properties for the gateway's producer and consumer ({@link Config#kafkaProperties}). */
        public Builder kafkaProperties(Map<String, String> kafkaProperties) {
            this.kafkaProperties = kafkaProperties;
            return this;
        }

        public Config build() {
            return new Config(host, port, replyPartition, bootstrapServers, requestsTopic, repliesTopic, jdbcUrl,
                    jdbcUser, jdbcPasswordFile, jdbcPasswordEnv, signingKeyFile, models, maxBodyBytes, maxWaiting,
                    maxKeyLookups, readTimeout, answerTimeout, keyCacheTtl, corsOrigins, jwt, keystore,
                    keystorePasswordFile, demoKey, tenantsFile, tracing, kafkaProperties);
        }
    }

    private final Config config;
    private final Vertx vertx;
    private final HttpServer server;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Replies replies;
    private final KeyCache keys;
    /** Bearers being looked up now, or queued for a worker to; touched on the event loop only. */
    private volatile int keyLookups;
    /** What {@link #close} closes after the HTTP server, in this order (the reverse of opening). */
    private final Deque<AutoCloseable> resources;
    private final byte[] signingKey;
    private final JwtAuth jwt;
    private final GatewayMetrics metrics;
    private final TenantRegistry tenants;
    private final GatewayTracing tracing;

    private Gateway(Config config, Vertx vertx, HttpServer server, KafkaProducer<byte[], byte[]> producer,
            Replies replies, KeyCache keys, Deque<AutoCloseable> resources, byte[] signingKey, JwtAuth jwt, TenantRegistry tenants,
            GatewayMetrics metrics, GatewayTracing tracing) {
        this.config = config;
        this.metrics = metrics;
        this.vertx = vertx;
        this.server = server;
        this.producer = producer;
        this.replies = replies;
        this.keys = keys;
        this.resources = resources;
        this.signingKey = signingKey;
        this.jwt = jwt;
        this.tenants = tenants;
        this.tracing = tracing;
    }

    /**
     * Starts an instance; its port is {@link #port()} (0 in the config picks a free one). What can be
     * refused without opening anything (the signing key, JWT settings, the tenants file, the
     * keystore's password) is read first; if a later step fails, what was opened is closed again,
     * so a refused start leaves no connection, consumer or thread behind.
     */
    public static Gateway start(Config config) throws Exception {
        byte[] key = RequestSignature.readKey(config.signingKeyFile());
        if (key == null) {
            LOG.warn("No signing key ({} or a key file): requests go unsigned, and a job that requires signatures "
                    + "refuses them", RequestSignature.KEY_ENV);
        }
        JwtAuth jwt = config.jwt() != null && config.jwt().enabled() ? new JwtAuth(config.jwt()) : null;
        TenantRegistry tenants = config.tenantsFile() == null ? null : TenantRegistry.load(Path.of(config.tenantsFile()));
        HttpServerOptions options = ReadDeadlines.http1(new HttpServerOptions()).setHost(config.host())
                .setPort(config.port());
        if (config.keystore() != null) {
            String keystorePassword = Secrets.resolve(config.keystorePasswordFile(), KEYSTORE_PASSWORD_ENV);
            options.setSsl(true).setKeyCertOptions(new KeyStoreOptions().setPath(config.keystore())
                    .setType(config.keystore().endsWith(".jks") ? "JKS" : "PKCS12").setPassword(keystorePassword));
        }
        Properties db = databaseLogin(config);
        // What the instance holds, last opened first: closed in this order by close(), or here if a step fails.
        Deque<AutoCloseable> opened = new ArrayDeque<>();
        try {
            KeyDatabase keysDb = new KeyDatabase(() -> DriverManager.getConnection(config.jdbcUrl(), db));
            opened.push(keysDb);
            GatewayTracing tracing = GatewayTracing.open(config.tracing());
            opened.push(tracing);
            Map<String, Object> producerConfig = new HashMap<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                    ProducerConfig.LINGER_MS_CONFIG, 0,
                    ProducerConfig.CLIENT_ID_CONFIG, "sluice-gateway-" + config.replyPartition()));
            producerConfig.putAll(config.kafkaProperties());
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig,
                    new ByteArraySerializer(), new ByteArraySerializer());
            opened.push(() -> producer.close(Duration.ofSeconds(5)));
            Replies replies = new Replies(config.bootstrapServers(), config.kafkaProperties(), config.repliesTopic(),
                    config.replyPartition(), 10_000);
            opened.push(replies);
            Vertx vertx = Vertx.vertx();
            opened.push(() -> vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
            KeyCache keys = new KeyCache(config.keyCacheTtl(), 10_000, System::currentTimeMillis, keysDb);
            GatewayMetrics metrics = new GatewayMetrics();
            Gateway[] self = new Gateway[1];
            ReadDeadlines deadlines = new ReadDeadlines(vertx, config.readTimeout());
            Router router = router(config, vertx, metrics, deadlines, self);
            if (config.demoKey() != null) {
                LOG.warn("Demo login is on: the chat page hands out an API key to anyone who can reach {}:{}",
                        config.host(), config.port());
            }
            HttpServer server = vertx.createHttpServer(options);
            deadlines.watch(server);
            server.requestHandler(router).listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            self[0] = new Gateway(config, vertx, server, producer, replies, keys, opened, key, jwt, tenants, metrics,
                    tracing);
            LOG.info("Gateway listening on {}://{}:{}, replies from {} partition {}", config.keystore() == null
                    ? "http" : "https", config.host(), server.actualPort(), config.repliesTopic(),
                    config.replyPartition());
            return self[0];
        } catch (Exception | Error e) {
            try {
                IOUtils.closeAll(opened);
            } catch (Exception closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** The keys database's login: its user, and its password from the file named or the variable configured. */
    private static Properties databaseLogin(Config config) {
        Properties db = new Properties();
        if (config.jdbcUser() != null) {
            db.setProperty("user", config.jdbcUser());
        }
        String password = Secrets.resolve(config.jdbcPasswordFile(), config.jdbcPasswordEnv());
        if (password != null) {
            db.setProperty("password", password);
        }
        db.setProperty("ApplicationName", "sluice-gateway");
        db.setProperty("connectTimeout", "10");
        db.setProperty("socketTimeout", "30");
        db.setProperty("logServerErrorDetail", "false");
        return db;
    }

    /** The routes; {@code self} holds the instance they call once it exists. */
    private static Router router(Config config, Vertx vertx, GatewayMetrics metrics, ReadDeadlines deadlines,
            Gateway[] self) {
        Router router = Router.router(vertx);
        router.route().handler(ctx -> {
            long arrived = System.nanoTime();
            ctx.put(ARRIVED, arrived);
            ctx.put(ARRIVED_MICROS, System.currentTimeMillis() * 1000);
            metrics.started();
            // Once, when the response ends or its connection closes (a client gone mid-stream).
            ctx.addEndHandler(end -> metrics.ended(ctx.request().path(), ctx.response().getStatusCode(),
                    System.nanoTime() - arrived));
            deadlines.arrived(ctx);
        });
        // Prometheus scrapes it like the job's reporter; it holds counts and times, never tenant data.
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
        if (!config.corsOrigins().isEmpty()) {
            router.route().handler(CorsHandler.create().addOrigins(config.corsOrigins())
                    .allowedHeaders(java.util.Set.of("Authorization", "Content-Type", CONVERSATION_HEADER)));
        }
        router.post("/v1/chat/completions").handler(BodyHandler.create().setBodyLimit(config.maxBodyBytes()))
                .handler(ctx -> self[0].completions(ctx));
        router.get("/v1/models").handler(ctx -> self[0].models(ctx));
        router.get("/v1/sluice/requests/:id").handler(ctx -> self[0].answerOf(ctx));
        router.get("/v1/sluice/me").handler(ctx -> self[0].me(ctx));
        ChatPage.mount(router, config.demoKey());
        router.route().last().handler(ctx -> sendError(ctx.response(), new ApiException(404, "invalid_request_error",
                "not_found", "No route for " + ctx.request().method() + " " + ctx.request().path())));
        router.route().failureHandler(ctx -> sendError(ctx.response(), ctx.statusCode() == 413
                ? new ApiException(413, "invalid_request_error", "payload_too_large", "The body is larger than "
                        + config.maxBodyBytes() + " bytes.")
                : new ApiException(500, "api_error", null, "The gateway failed: " + (ctx.failure() == null ? ""
                        : ctx.failure().getClass().getSimpleName()))));
        return router;
    }

    public int port() {
        return server.actualPort();
    }

    /** The time this instance adds to requests (for {@code sluice bench gateway}). */
    public GatewayLatency latency() {
        return metrics.latency();
    }

    /** Bearers this instance is looking up now (API keys not in its cache, JWTs). */
    public int keyLookups() {
        return keyLookups;
    }

    /** Requests this instance waits for an answer to now. */
    public int waiting() {
        return replies.waiting();
    }

    private static String bearer(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : null;
    }

    /**
     * Runs {@code then} on the event loop with the caller's tenant, or answers 401. The bearer is a
     * JWT (when tokens are configured and it is shaped like one) or an API key.
     */
    private void authenticated(RoutingContext ctx, Consumer<String> then) {
        String bearer = bearer(ctx);
        boolean token = jwt != null && JwtAuth.looksLikeJwt(bearer);
        if (!token && ApiKeys.keyIdOf(bearer) == null) {
            // Shaped like neither: refused here, without a hop to a worker or an entry in the cache.
            sendError(ctx.response(), ApiException.unauthorized());
            return;
        }
        Optional<Optional<String>> remembered = token ? Optional.empty() : keys.remembered(bearer);
        if (remembered.isPresent()) {
            // The common case answers on the event loop: no hop to a worker for a key seen recently.
            if (remembered.get().isEmpty()) {
                sendError(ctx.response(), ApiException.unauthorized());
            } else {
                then.accept(remembered.get().get());
            }
            return;
        }
        if (keyLookups >= config.maxKeyLookups()) {
            sendError(ctx.response(), ApiException.busy("keys_busy", "The gateway is looking up "
                    + config.maxKeyLookups() + " keys already; try again shortly."));
            return;
        }
        keyLookups++;
        vertx.executeBlocking(() -> token ? jwt.tenantOf(bearer) : keys.tenantOf(bearer), false).onComplete(ar -> {
            keyLookups--;
            if (ar.failed()) {
                LOG.warn("API key lookup failed: {}", ar.cause().toString());
                sendError(ctx.response(), new ApiException(503, "api_error", "keys_unavailable",
                        "The gateway cannot check API keys right now."));
            } else if (ar.result().isEmpty()) {
                sendError(ctx.response(), ApiException.unauthorized());
            } else {
                then.accept(ar.result().get());
            }
        });
    }

    private void models(RoutingContext ctx) {
        authenticated(ctx, tenant -> ctx.response().putHeader("Content-Type", "application/json")
                .end(OpenAiWire.models(modelsOf(tenant), 0)));
    }

    /** The answer models {@code tenant} may use: the job's, less what the tenants file forbids it. */
    private List<String> modelsOf(String tenant) {
        if (tenants == null) {
            return config.models();
        }
        return tenants.find(tenant).map(t -> t.allowed(config.models())).orElse(List.of());
    }

    /** Who the bearer is: the tenant it acts for (the chat page shows it). */
    private void me(RoutingContext ctx) {
        authenticated(ctx, tenant -> ctx.response().putHeader("Content-Type", "application/json")
                .end(OpenAiWire.MAPPER.createObjectNode().put("tenant", tenant).toString()));
    }

    private void answerOf(RoutingContext ctx) {
        authenticated(ctx, tenant -> {
            String id = ctx.pathParam("id");
            Optional<JsonNode> record = replies.recent(id).filter(r -> tenant.equals(r.path("tenantId").asText()));
            if (record.isEmpty()) {
                sendError(ctx.response(), new ApiException(404, "invalid_request_error", "request_not_found",
                        "No answer to request " + id + " here (yet): it arrives on the gateway instance that sent it"));
            } else if (OpenAiWire.isRejection(record.get())) {
                sendError(ctx.response(), OpenAiWire.rejection(record.get()));
            } else {
                ctx.response().putHeader("Content-Type", "application/json").end(OpenAiWire.completion(
                        "chatcmpl-" + id, 0, record.get().path("modelId").asText(), record.get()));
            }
        });
    }

    private void completions(RoutingContext ctx) {
        authenticated(ctx, tenant -> {
            // Refused before any work is spent on it. The check and the registration below run without a
            // pause on the server's one event loop (it is not deployed as verticles): the count cannot pass it.
            if (replies.waiting() >= config.maxWaiting()) {
                metrics.overloaded();
                sendError(ctx.response(), ApiException.busy("overloaded", "This gateway instance waits for "
                        + config.maxWaiting() + " answers already; try again shortly."));
                return;
            }
            OpenAiWire.Turn turn;
            try {
                turn = OpenAiWire.parse(ctx.body().asString(), new LinkedHashSet<>(config.models()));
            } catch (ApiException e) {
                sendError(ctx.response(), e);
                return;
            }
            if (tenants != null && tenants.find(tenant).isEmpty()) {
                sendError(ctx.response(), new ApiException(403, "permission_error", "unknown_tenant", "Tenant "
                        + tenant + " is not configured in the serving job's tenants file."));
                return;
            }
            if (!modelsOf(tenant).contains(turn.model())) {
                sendError(ctx.response(), new ApiException(403, "permission_error", "model_not_allowed", "Tenant "
                        + tenant + " may not use the model `" + turn.model() + "`. Its models: " + modelsOf(tenant),
                        "model", null));
                return;
            }
            // With the header the job keeps the conversation's history and only the new message is used;
            // without it the turn is answered from the earlier messages, as OpenAI's API does.
            String conversation = ctx.request().getHeader(CONVERSATION_HEADER);
            if (conversation != null && !OpenAiWire.validConversation(conversation)) {
                sendError(ctx.response(), ApiException.invalid("The " + CONVERSATION_HEADER + " header must be "
                        + "1-128 characters of letters, digits and . _ : @ - (or left out: then the messages "
                        + "before the last are the conversation so far).", null));
                return;
            }
            String requestId = UUID.randomUUID().toString();
            Exchange exchange = new Exchange(ctx, turn, requestId, vertx.getOrCreateContext());
            replies.register(requestId, exchange::fromReplies);
            ctx.response().closeHandler(v -> exchange.abandon());
            // A key's id travels with the request (never its secret), so the job can limit each key; a
            // JWT is not shaped like a key and has none.
            String apiKeyId = ApiKeys.keyIdOf(bearer(ctx));
            byte[] payload = OpenAiWire.request(requestId, tenant, conversation, apiKeyId, turn)
                    .getBytes(StandardCharsets.UTF_8);
            // Keyed by conversation, so that its turns stay in order in one partition.
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(config.requestsTopic(), null,
                    (conversation != null ? conversation : requestId).getBytes(StandardCharsets.UTF_8), payload);
            record.headers().add(RequestSignature.REPLY_PARTITION_HEADER,
                    Integer.toString(config.replyPartition()).getBytes(StandardCharsets.US_ASCII));
            if (signingKey != null) {
                record.headers().add(RequestSignature.HEADER, RequestSignature.sign(signingKey, config.replyPartition(),
                        payload).getBytes(StandardCharsets.US_ASCII));
            }
            // The trace goes on in the job; the span ends with the response, however it ends.
            GatewayTracing.Request traced = tracing.start(ctx.request().getHeader(TraceParent.HEADER), requestId,
                    ctx.get(ARRIVED_MICROS));
            ctx.addEndHandler(end -> traced.end(ctx.response().getStatusCode()));
            if (traced.traceParent() != null) {
                record.headers().add(TraceParent.HEADER, traced.traceParent().getBytes(StandardCharsets.US_ASCII));
            }
            Long arrived = ctx.get(ARRIVED);
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    exchange.context.runOnContext(v -> exchange.fail(new ApiException(503, "api_error",
                            "job_unreachable", "The request could not be handed to the serving job: " + error
                            .getClass().getSimpleName(), null, requestId)));
                }
            });
            exchange.inboundNanos = System.nanoTime() - arrived;
            metrics.inbound(exchange.inboundNanos);
            exchange.timer = vertx.setTimer(config.answerTimeout().toMillis(), t -> exchange.fail(new ApiException(
                    504, "api_error", "answer_deadline", "No answer within " + config.answerTimeout().toSeconds()
                    + " s; fetch it later from GET /v1/sluice/requests/" + requestId, null, requestId)));
        });
    }

    /** One request's wait for its records: lives on the event loop, ends once. */
    private final class Exchange {
        final RoutingContext ctx;
        final OpenAiWire.Turn turn;
        final String requestId;
        final String id;
        final long created = System.currentTimeMillis() / 1000;
        final Context context;
        long timer = -1;
        long inboundNanos;
        boolean started;
        boolean done;
        int nextSequence;

        Exchange(RoutingContext ctx, OpenAiWire.Turn turn, String requestId, Context context) {
            this.ctx = ctx;
            this.turn = turn;
            this.requestId = requestId;
            this.id = "chatcmpl-" + requestId;
            this.context = context;
        }

        /** Called on the replies thread: hop to the event loop that owns the response. */
        void fromReplies(JsonNode record, long polledNanos) {
            context.runOnContext(v -> on(record, polledNanos));
        }

        void on(JsonNode record, long polledNanos) {
            if (done) {
                return;
            }
            if (OpenAiWire.isRejection(record)) {
                fail(OpenAiWire.rejection(record));
            } else if (OpenAiWire.isAnswer(record)) {
                answer(record, polledNanos);
            } else if (turn.stream()) {
                int sequence = record.path("sequence").asInt();
                if (sequence < nextSequence) {
                    return; // repeated after a recovery of the job
                }
                nextSequence = sequence + 1;
                event(OpenAiWire.contentChunk(id, created, turn.model(), record.path("text").asText(), !started));
            }
        }

        /**
         * Writes the answer. The time the gateway added is recorded before the last write is issued
         * (Vert.x queues it): a client that has its answer finds it counted.
         */
        private void answer(JsonNode answer, long polledNanos) {
            HttpServerResponse response = ctx.response();
            if (!turn.stream()) {
                finish();
                firstToken();
                String completion = OpenAiWire.completion(id, created, turn.model(), answer);
                metrics.outbound(System.nanoTime() - polledNanos, inboundNanos);
                response.putHeader("Content-Type", "application/json").end(completion);
                return;
            }
            if (!started) {
                // A model that does not stream (the extractive answerer): its whole answer is one piece.
                event(OpenAiWire.contentChunk(id, created, turn.model(), answer.path("answer").asText(), true));
            }
            event(OpenAiWire.finishChunk(id, created, turn.model(), answer));
            if (turn.includeUsage()) {
                event(OpenAiWire.usageChunk(id, created, turn.model(), answer));
            }
            finish();
            metrics.outbound(System.nanoTime() - polledNanos, inboundNanos);
            response.end("data: [DONE]\n\n");
        }

        private void event(String json) {
            HttpServerResponse response = ctx.response();
            if (!started) {
                started = true;
                firstToken();
                response.setChunked(true).putHeader("Content-Type", "text/event-stream")
                        .putHeader("Cache-Control", "no-cache");
            }
            response.write("data: " + json + "\n\n");
        }

        private void firstToken() {
            Long arrived = ctx.get(ARRIVED);
            metrics.firstToken(System.nanoTime() - arrived);
        }

        void fail(ApiException e) {
            if (done) {
                return;
            }
            finish();
            if (started) {
                ctx.response().end("data: " + OpenAiWire.error(e) + "\n\n");
            } else {
                sendError(ctx.response(), e);
            }
        }

        /** The client went away: stop waiting; the job's answer, when it comes, is kept with the recent ones. */
        void abandon() {
            if (!done) {
                finish();
            }
        }

        private void finish() {
            done = true;
            replies.unregister(requestId);
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
        }
    }

    private static void sendError(HttpServerResponse response, ApiException e) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (e.status() == 429 || e.retryAfterSeconds() > 0) {
            response.putHeader("Retry-After", Long.toString(Math.max(1, e.retryAfterSeconds())));
        }
        response.setStatusCode(e.status()).putHeader("Content-Type", "application/json").end(OpenAiWire.error(e));
    }

    @Override
    public void close() throws Exception {
        try {
            server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } finally {
            // Vert.x, the replies consumer, the producer, tracing, the keys connection: each even if one fails.
            IOUtils.closeAll(resources);
        }
    }
}
