package io.sluice.cli;

import io.sluice.gateway.Gateway;
import io.sluice.gateway.JwtAuth;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code sluice gateway}: one instance of the OpenAI-compatible HTTP gateway, until Ctrl-C. */
@Command(name = "gateway", mixinStandardHelpOptions = true,
        description = "Run an instance of the OpenAI-compatible HTTP gateway in front of a serving job. Each "
                + "instance needs its own --reply-partition of the replies topic.")
final class GatewayCommand implements Callable<Integer> {

    @CommandLine.Mixin
    AuditCommand.Database db;

    @CommandLine.Mixin
    KafkaPropertiesMixin kafkaProperties;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka brokers of the chat topics.")
    String bootstrapServers;

    @Option(names = "--host", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = Gateway.Builder.DEFAULT_HOST;

    @Option(names = "--port", description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = Gateway.Builder.DEFAULT_PORT;

    @Option(names = "--reply-partition", description = "This instance's partition of the replies topic; one "
            + "per instance (default: ${DEFAULT-VALUE}).")
    int replyPartition = 0;

    @Option(names = "--models", split = ",", description = "The answer models the serving job offers "
            + "(default: ${DEFAULT-VALUE}).")
    List<String> models = Gateway.Builder.DEFAULT_MODELS;

    @Option(names = "--signing-key-file", description = "File holding the key shared with the job "
            + "(default: the environment variable SLUICE_SIGNING_KEY).")
    String signingKeyFile;

    @Option(names = "--requests-topic", description = "(default: ${DEFAULT-VALUE})")
    String requestsTopic = Gateway.Builder.DEFAULT_REQUESTS_TOPIC;

    @Option(names = "--replies-topic", description = "(default: ${DEFAULT-VALUE})")
    String repliesTopic = Gateway.Builder.DEFAULT_REPLIES_TOPIC;

    @Option(names = "--answer-timeout", description = "Longest a client waits for an answer (default: ${DEFAULT-VALUE}).")
    Duration answerTimeout = Gateway.Builder.DEFAULT_ANSWER_TIMEOUT;

    @Option(names = "--max-body-bytes", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    int maxBodyBytes = Gateway.Builder.DEFAULT_MAX_BODY_BYTES;

    @Option(names = "--max-waiting", description = "Most chat completions waited for at once; more get 503 "
            + "'overloaded' with Retry-After (default: ${DEFAULT-VALUE}).")
    int maxWaiting = Gateway.Builder.DEFAULT_MAX_WAITING;

    @Option(names = "--max-key-lookups", description = "Most bearers looked up at once (keys not in the cache, "
            + "JWTs); more get 503 'keys_busy' with Retry-After (default: ${DEFAULT-VALUE}).")
    int maxKeyLookups = Gateway.Builder.DEFAULT_MAX_KEY_LOOKUPS;

    @Option(names = "--read-timeout", description = "How long a client has to send a whole request, from connecting "
            + "or from its last response; slower connections are closed (default: ${DEFAULT-VALUE}).")
    Duration readTimeout = Gateway.Builder.DEFAULT_READ_TIMEOUT;

    @Option(names = "--key-cache-ttl", description = "How long a key's tenant is remembered; a revoked key works "
            + "at most this long after (default: ${DEFAULT-VALUE}).")
    Duration keyCacheTtl = Gateway.Builder.DEFAULT_KEY_CACHE_TTL;

    @Option(names = "--cors-origin", description = "An origin browsers may call from (repeatable; none by default).")
    List<String> corsOrigins = List.of();

    @Option(names = "--jwt-jwks-file", description = "Accept JWTs (RS256, ES256) signed by a key of this JWKS file.")
    String jwksFile;

    @Option(names = "--jwt-jwks-url", description = "Accept JWTs (RS256, ES256) signed by a key of this JWKS URL.")
    String jwksUrl;

    @Option(names = "--jwt-hs256-secret-file", description = "Accept JWTs (HS256) signed with the secret in this file.")
    String hs256SecretFile;

    @Option(names = "--jwt-issuer", description = "The issuer ('iss') JWTs must name.")
    String jwtIssuer;

    @Option(names = "--jwt-audience", description = "The audience ('aud') JWTs must name.")
    String jwtAudience;

    @Option(names = "--jwt-tenant-claim", description = "The claim that names the tenant (default: ${DEFAULT-VALUE}).")
    String jwtTenantClaim = "tenant";

    @Option(names = "--tenants-file", description = "The serving job's tenants file (sluice.tenants.file): "
            + "/v1/models then lists, and requests may use, only the models a tenant's 'models' allow.")
    String tenantsFile;

    @Option(names = "--tls-keystore", description = "Serve HTTPS with the key and certificate of this PKCS#12 "
            + "(or .jks) keystore; without it the gateway speaks plain HTTP, for localhost or behind a TLS-terminating "
            + "proxy.")
    String keystore;

    @Option(names = "--tls-keystore-password-file", description = "File holding the keystore's password "
            + "(default: the environment variable SLUICE_GATEWAY_KEYSTORE_PASSWORD).")
    String keystorePasswordFile;

    @Option(names = "--tracing-exporter", description = "Where the gateway's spans go: none, otlp, or an "
            + "OpenTelemetry exporter provider's name; other settings from OTEL_* (default: ${DEFAULT-VALUE}).")
    String tracingExporter = "none";

    @Option(names = "--otlp-endpoint", description = "The OTLP/HTTP endpoint of the spans, e.g. "
            + "http://otel-collector:4318 (default: OTEL_EXPORTER_OTLP_ENDPOINT or OpenTelemetry's).")
    String otlpEndpoint;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Gateway gateway = Gateway.start(Gateway.Config.builder(bootstrapServers, db.jdbcUrl).listen(host, port)
                .replyPartition(replyPartition).topics(requestsTopic, repliesTopic).database(db.user, db.passwordFile)
                .signingKeyFile(signingKeyFile).models(models).maxBodyBytes(maxBodyBytes).maxWaiting(maxWaiting)
                .maxKeyLookups(maxKeyLookups).readTimeout(readTimeout).answerTimeout(answerTimeout)
                .keyCacheTtl(keyCacheTtl).corsOrigins(corsOrigins).tls(keystore, keystorePasswordFile).tenantsFile(tenantsFile)
                .tracing(tracingExporter, otlpEndpoint)
                .kafkaProperties(kafkaProperties.read(Gateway.OWNED_KAFKA_PROPERTIES, spec.commandLine()))
                .jwt(new JwtAuth.Settings(jwksFile, jwksUrl, hs256SecretFile, jwtIssuer, jwtAudience, jwtTenantClaim))
                .build());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                gateway.close();
            } catch (Exception e) {
                spec.commandLine().getErr().println("gateway: " + e);
            } finally {
                stopped.countDown();
            }
        }, "sluice-gateway-shutdown"));
        String base = (keystore == null ? "http://" : "https://") + host + ":" + gateway.port();
        spec.commandLine().getErr().println("gateway on " + base + "/v1 (reply partition " + replyPartition
                + "), chat page " + base + "/chat/; Ctrl-C stops it");
        spec.commandLine().getErr().flush();
        stopped.await();
        return 0;
    }
}
