package io.sluice.gateway;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two gateway instances in front of a real serving job (Kafka, PostgreSQL, MiniCluster with RocksDB)
 * that answers signed requests only, driven by the official OpenAI Java SDK: answers with and
 * without streaming, history kept by conversation, an invalid key raising the SDK's authentication
 * exception, unknown models, body limits, revocation without a restart, and each instance getting the
 * answers of its own requests.
 */
class GatewayITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path work;

    private static LocalStack stack;
    private static OpenAiStandInServer remote;
    private static JobClient job;
    private static Gateway first;
    private static Gateway second;
    private static String acmeKey;
    private static Path hs256Secret;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
        remote = new OpenAiStandInServer();
        TestCorpus.backfill(work);
        Path signingKey = Files.writeString(work.resolve("signing-key"), "shared by the gateways and the job");
        hs256Secret = Files.writeString(work.resolve("hs256-secret"), "a secret the identity provider shares, 32+ bytes");
        try (Connection owner = stack.openAuditConnection()) {
            ApiKeys.SCHEMA.migrate(owner);
            acmeKey = ApiKeys.create(owner, TestCorpus.ACME, "tests").key();
        }
        Configuration conf = stack.servingConfig(work.resolve("index"));
        conf.set(ServingOptions.TENANT_IDS, List.of(TestCorpus.ACME, TestCorpus.GLOBEX));
        conf.set(ServingOptions.GATEWAY_REQUIRE_SIGNATURE, true);
        conf.set(ServingOptions.GATEWAY_SIGNING_KEY_FILE, signingKey.toString());
        conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remote.baseUrl());
        conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "slow");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        env.enableCheckpointing(500);
        env.setParallelism(2);
        ServingJob.fromConfiguration(conf).build(env);
        job = env.executeAsync("gateway-itcase");
        first = Gateway.start(config(0, signingKey));
        second = Gateway.start(config(1, signingKey));
    }

    private static Gateway.Config config(int partition, Path signingKey) {
        return new Gateway.Config("127.0.0.1", 0, partition, stack.bootstrapServers(), LocalStack.REQUESTS_TOPIC,
                LocalStack.REPLIES_TOPIC, stack.jdbcUrl(), stack.auditConnection().user(), null, signingKey.toString(),
                List.of("extractive", "remote"), 64 * 1024, WAIT, Duration.ofMillis(300), List.of(),
                new JwtAuth.Settings(null, null, hs256Secret.toString(), "https://login.example", "sluice", "tenant"));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {first, second}) {
            if (c != null) {
                c.close();
            }
        }
        if (job != null) {
            job.cancel().get();
        }
        if (remote != null) {
            remote.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    private static OpenAIClient client(Gateway gateway, String key) {
        return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + gateway.port() + "/v1").apiKey(key)
                .maxRetries(0).build();
    }

    private static ChatCompletionCreateParams ask(String model, String conversation, String question) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(question)
                .putAdditionalHeader(Gateway.CONVERSATION_HEADER, conversation).build();
    }

    @Test
    void theOpenAiSdkGetsAnswersAndHistoryIsKeptByConversation() {
        OpenAIClient sdk = client(first, acmeKey);
        ChatCompletion answer = sdk.chat().completions().create(ask("extractive", "g-conv-1",
                "How many days do I have to request a refund?"));
        assertThat(answer.choices().get(0).message().content()).hasValueSatisfying(text ->
                assertThat(text).contains("thirty days").contains("[1]"));
        assertThat(answer._additionalProperties().get("sluice").toString()).contains("acme-refunds");
        ChatCompletion followUp = sdk.chat().completions().create(ask("extractive", "g-conv-1",
                "How long does express shipping take?"));
        assertThat(followUp._additionalProperties().get("sluice").toString()).contains("history_turns=1");
    }

    @Test
    void streamedAnswersArriveAsChunksThatAddUpToTheAnswer() {
        OpenAIClient sdk = client(second, acmeKey);
        List<String> pieces = new ArrayList<>();
        List<String> finishes = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(ask("remote",
                "g-conv-2", "How are refunds paid back?"))) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> {
                choice.delta().content().ifPresent(pieces::add);
                choice.finishReason().ifPresent(f -> finishes.add(f.asString()));
            }));
        }
        assertThat(pieces.size()).as("streamed pieces").isGreaterThan(3);
        assertThat(String.join("", pieces)).isEqualTo("You said: How are refunds paid back? [1]");
        assertThat(finishes).containsExactly("stop");
    }

    @Test
    void anInvalidKeyRaisesTheSdksAuthenticationExceptionAndUnknownModelsAreNotFound() {
        assertThatThrownBy(() -> client(first, "sk-sluice-000000000000-" + "0".repeat(40)).chat().completions()
                .create(ask("extractive", "g-conv-3", "Hello?"))).isInstanceOf(UnauthorizedException.class);
        assertThatThrownBy(() -> client(first, acmeKey).chat().completions().create(ask("gpt-4o", "g-conv-3", "Hello?")))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("gpt-4o");
        assertThat(client(first, acmeKey).models().list().data()).extracting(m -> m.id())
                .containsExactly("extractive", "remote");
    }

    @Test
    void eachInstanceGetsTheAnswersOfItsOwnRequests() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String body = "{\"model\":\"extractive\",\"messages\":[{\"role\":\"user\",\"content\":\"What does the warranty cover?\"}]}";
        List<String> requestIds = new ArrayList<>();
        for (Gateway gateway : List.of(first, second)) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + gateway.port() + "/v1/chat/completions")).header("Authorization", "Bearer " + acmeKey)
                    .header(Gateway.CONVERSATION_HEADER, "g-conv-4-" + gateway.port())
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            requestIds.add(OpenAiWire.parse(response.body()).path("sluice").path("request_id").asText());
        }
        // An answer is on the instance that asked, and only there.
        for (int i = 0; i < 2; i++) {
            Gateway own = i == 0 ? first : second;
            Gateway other = i == 0 ? second : first;
            assertThat(get(http, own, "/v1/sluice/requests/" + requestIds.get(i)).statusCode()).isEqualTo(200);
            assertThat(get(http, other, "/v1/sluice/requests/" + requestIds.get(i)).statusCode()).isEqualTo(404);
        }
        assertThat(first.waiting()).isZero();
        assertThat(second.waiting()).isZero();
    }

    @Test
    void bodiesOverTheLimitAreRefusedAndARevokedKeyStopsWorkingWithoutARestart() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> tooBig = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first.port()
                + "/v1/chat/completions")).header("Authorization", "Bearer " + acmeKey)
                .POST(HttpRequest.BodyPublishers.ofString("{\"x\":\"" + "y".repeat(100_000) + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(OpenAiWire.parse(tooBig.body()).path("error").path("code").asText()).isEqualTo("payload_too_large");

        String key;
        try (Connection owner = stack.openAuditConnection()) {
            key = ApiKeys.create(owner, TestCorpus.GLOBEX, "short-lived").key();
        }
        assertThat(send(http, first, key, "/v1/models").statusCode()).isEqualTo(200);
        try (Connection owner = stack.openAuditConnection()) {
            assertThat(ApiKeys.revoke(owner, key)).isTrue();
        }
        Await.until("the revoked key to be refused", WAIT, () -> send(http, first, key, "/v1/models").statusCode() == 401);
    }

    private static HttpResponse<String> get(HttpClient http, Gateway gateway, String path) throws Exception {
        return send(http, gateway, acmeKey, path);
    }

    private static HttpResponse<String> send(HttpClient http, Gateway gateway, String key, String path)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aThousandAbortedStreamsLeaveNothingBehind() throws Exception {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        var heap = java.lang.management.ManagementFactory.getMemoryMXBean();
        client(first, acmeKey).chat().completions().create(ask("extractive", "abort-warm-up", "Hello?"));
        int baselineThreads = threads.getThreadCount();
        System.gc();
        long baselineHeap = heap.getHeapMemoryUsage().getUsed();

        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(16);
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            int n = i;
            done.add(clients.submit(() -> {
                String body = "{\"model\":\"extractive\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"How are refunds paid back?\"}]}";
                try (java.net.Socket socket = new java.net.Socket("127.0.0.1", first.port())) {
                    socket.setSoTimeout(30_000);
                    socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n"
                            + "Authorization: Bearer " + acmeKey + "\r\n" + Gateway.CONVERSATION_HEADER + ": abort-"
                            + (n % 50) + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                            + "\r\n\r\n" + body).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    if (n % 10 == 0) {
                        // Some leave mid-stream: after the first event arrived.
                        var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                                java.nio.charset.StandardCharsets.UTF_8));
                        for (String line = in.readLine(); line != null && !line.startsWith("data:"); line = in.readLine()) {
                            // headers and chunk sizes
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                return null;
            }));
        }
        for (var f : done) {
            f.get();
        }
        clients.shutdown();
        Await.until("no request waiting on the gateway", WAIT, () -> first.waiting() == 0);
        Await.until("threads back to their baseline", WAIT, () -> threads.getThreadCount() <= baselineThreads + 25);
        System.gc();
        long grown = heap.getHeapMemoryUsage().getUsed() - baselineHeap;
        System.out.printf("after 1,000 aborted streams: %d threads (baseline %d), heap %+d MB%n",
                threads.getThreadCount(), baselineThreads, grown >> 20);
        assertThat(grown).as("heap growth in bytes").isLessThan(256L << 20);
        // The gateway still serves.
        assertThat(client(first, acmeKey).chat().completions().create(ask("extractive", "abort-after",
                "What does the warranty cover?")).choices()).hasSize(1);
    }

    @Test
    void aJwtFromTheIdentityProviderWorksLikeAKey() throws Exception {
        var claims = new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer("https://login.example").audience("sluice")
                .claim("tenant", TestCorpus.ACME).expirationTime(new java.util.Date(System.currentTimeMillis() + 60_000))
                .build();
        var jwt = new com.nimbusds.jwt.SignedJWT(new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256),
                claims);
        jwt.sign(new com.nimbusds.jose.crypto.MACSigner(Files.readAllBytes(hs256Secret)));
        ChatCompletion answer = client(first, jwt.serialize()).chat().completions().create(ask("extractive",
                "g-conv-jwt", "What does the warranty cover?"));
        assertThat(answer.choices().get(0).message().content()).hasValueSatisfying(t -> assertThat(t).contains("warranty"));
    }
}
