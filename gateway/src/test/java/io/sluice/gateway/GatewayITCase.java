package io.sluice.gateway;

import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.EmbeddedKafka;
import io.sluice.local.LocalStack;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

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

    private static ServingBehindGateway serving;
    private static Gateway first;
    private static Gateway second;
    private static String acmeKey;
    private static Path hs256Secret;

    @BeforeAll
    static void start() throws Exception {
        serving = ServingBehindGateway.start(work, 2);
        hs256Secret = Files.writeString(work.resolve("hs256-secret"), "a secret the identity provider shares, 32+ bytes");
        acmeKey = serving.createKey(TestCorpus.ACME, "tests");
        first = Gateway.start(config(0));
        second = Gateway.start(config(1));
    }

    private static Gateway.Config config(int partition) {
        return serving.gateway(partition).maxBodyBytes(64 * 1024).answerTimeout(WAIT).keyCacheTtl(Duration.ofMillis(300))
                .jwt(new JwtAuth.Settings(null, null, hs256Secret.toString(), "https://login.example", "sluice", "tenant"))
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {first, second, serving}) {
            if (c != null) {
                c.close();
            }
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
        long timed = first.latency().added().count();
        ChatCompletion answer = sdk.chat().completions().create(ask("extractive", "g-conv-1",
                "How many days do I have to request a refund?"));
        assertThat(answer.choices().get(0).message().content()).hasValueSatisfying(text ->
                assertThat(text).contains("thirty days").contains("[1]"));
        assertThat(answer._additionalProperties().get("sluice").toString()).contains("acme-refunds");
        ChatCompletion followUp = sdk.chat().completions().create(ask("extractive", "g-conv-1",
                "How long does express shipping take?"));
        assertThat(followUp._additionalProperties().get("sluice").toString()).contains("history_turns=1");
        // What the gateway adds is timed once per answered request, in and out together.
        assertThat(first.latency().added().count() - timed).isEqualTo(2);
    }

    @Test
    void withoutAConversationHeaderTheMessagesAreTheHistory() {
        OpenAIClient sdk = client(first, acmeKey);
        ChatCompletion opening = sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("extractive").addUserMessage("How many days do I have to request a refund?").build());
        String refund = opening.choices().get(0).message().content().orElseThrow();
        assertThat(refund).contains("thirty days");
        assertThat(opening._additionalProperties().get("sluice").toString()).contains("conversation_mode=client")
                .contains("history_turns=0").doesNotContain("conversation_id");
        // The client resends the conversation, as with OpenAI; Sluice answers from it and keeps nothing.
        ChatCompletion followUp = sdk.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("extractive").addSystemMessage("Answer from the policies.")
                .addUserMessage("How many days do I have to request a refund?").addAssistantMessage(refund)
                .addUserMessage("How long does express shipping take?").build());
        assertThat(followUp.choices().get(0).message().content()).isPresent();
        assertThat(followUp._additionalProperties().get("sluice").toString()).contains("conversation_mode=client")
                .contains("history_turns=1");
        ChatCompletion named = sdk.chat().completions().create(ask("extractive", "g-conv-5", "Hello there?"));
        assertThat(named._additionalProperties().get("sluice").toString()).contains("conversation_mode=server")
                .contains("conversation_id=g-conv-5");
    }

    @Test
    void streamedAnswersArriveAsChunksThatAddUpToTheAnswer() {
        OpenAIClient sdk = client(second, acmeKey);
        List<String> pieces = new ArrayList<>();
        List<Long> arrivals = new ArrayList<>();
        List<String> finishes = new ArrayList<>();
        // Long enough to stream past the redaction hold (the last 64 characters wait to be checked).
        String question = "How are refunds paid back to customers who paid by card, and how long does it usually "
                + "take for the money to arrive?";
        try (StreamResponse<ChatCompletionChunk> stream = sdk.chat().completions().createStreaming(ask("remote",
                "g-conv-2", question))) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> {
                choice.delta().content().ifPresent(piece -> {
                    pieces.add(piece);
                    arrivals.add(System.nanoTime() / 1_000_000);
                });
                choice.finishReason().ifPresent(f -> finishes.add(f.asString()));
            }));
        }
        System.out.println("streamed pieces arrived at (ms after the first): " + arrivals.stream()
                .map(t -> t - arrivals.get(0)).toList());
        assertThat(pieces.size()).as("streamed pieces").isGreaterThan(3);
        // The stand-in takes 150 ms a piece: pieces must reach the client as they are made, not at the end.
        assertThat(arrivals.get(arrivals.size() - 1) - arrivals.get(0)).as("ms from the first piece to the last")
                .isGreaterThan(100L * (pieces.size() - 2));
        assertThat(String.join("", pieces)).isEqualTo("You said: " + question + " [1]");
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
    void aTenantSeesAndUsesOnlyItsModels() throws Exception {
        String globexKey = serving.createKey(TestCorpus.GLOBEX, "models");
        OpenAIClient globex = client(first, globexKey);
        assertThat(globex.models().list().data()).extracting(m -> m.id()).containsExactly("extractive");
        assertThatThrownBy(() -> globex.chat().completions().create(ask("remote", "g-conv-models", "Hello?")))
                .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("may not use the model `remote`");
        assertThat(globex.chat().completions().create(ask("extractive", "g-conv-models", "What does the warranty "
                + "cover?")).choices()).hasSize(1);
        // A gateway that does not know the tenants file sends the turn; the job refuses it, and the
        // gateway says so with the same status.
        try (Gateway unaware = Gateway.start(serving.gateway(0).tenantsFile(null).build())) {
            assertThatThrownBy(() -> client(unaware, globexKey).chat().completions().create(ask("remote",
                    "g-conv-models", "Hello?"))).isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("may not use answer model 'remote'");
        }
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

        String key = serving.createKey(TestCorpus.GLOBEX, "short-lived");
        assertThat(send(http, first, key, "/v1/models").statusCode()).isEqualTo(200);
        assertThat(serving.revoke(key)).isTrue();
        Await.until("the revoked key to be refused", WAIT, () -> send(http, first, key, "/v1/models").statusCode() == 401);
    }

    @Test
    void aTenantOverItsRateLimitGetsA429WithRetryAfter() throws Exception {
        String key = serving.createKey(ServingBehindGateway.LIMITED_TENANT, "limits");
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> answered = post(http, key, "lim-1");
        assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
        HttpResponse<String> first429 = post(http, key, "lim-2");
        assertThat(first429.statusCode()).as(first429.body()).isEqualTo(429);
        JsonNode error = OpenAiWire.parse(first429.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("rate_limited");
        assertThat(error.path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error.path("message").asText()).contains("1 requests per minute");
        // One request a minute: the next is admitted up to 60 s after this one's event time.
        long retryAfter = Long.parseLong(first429.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(55L, 60L);
    }

    @Test
    void theGatewaysMetricsAreInPrometheusFormatWithEndpointsFromAFixedSet() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI base = URI.create("http://127.0.0.1:" + second.port());
        HttpResponse<String> models = http.send(HttpRequest.newBuilder(base.resolve("/v1/models"))
                .header("Authorization", "Bearer " + acmeKey).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(models.statusCode()).isEqualTo(200);
        HttpResponse<String> denied = http.send(HttpRequest.newBuilder(base.resolve("/v1/models"))
                .header("Authorization", "Bearer sk-sluice-nope-nope").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(denied.statusCode()).isEqualTo(401);
        http.send(HttpRequest.newBuilder(base.resolve("/v1/anything-a-caller-makes-up")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post(http, second, acmeKey, "metrics-1").statusCode()).isEqualTo(200);
        // The end handlers run after the responses were written: wait for them.
        String[] scraped = {""};
        Await.until("the four requests counted", WAIT, () -> {
            scraped[0] = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return scraped[0].contains("sluice_gateway_requests_total{endpoint=\"models\",status=\"401\",}")
                    && scraped[0].contains("sluice_gateway_requests_total{endpoint=\"other\",status=\"404\",}")
                    && scraped[0].contains("sluice_gateway_requests_total{endpoint=\"chat_completions\",status=\"200\",}");
        });
        // The answer was written before its request ended: its first token is counted.
        assertThat(scraped[0]).containsPattern("sluice_gateway_first_token_seconds_count [1-9]");
        assertThat(io.sluice.jobs.testing.MonitoringFiles.referenced("sluice_gateway_"))
                .contains("sluice_gateway_requests_total", "sluice_gateway_first_token_seconds_bucket");
        assertThat(io.sluice.jobs.testing.MonitoringFiles.unanswered(scraped[0], "sluice_gateway_"))
                .as("names in monitoring/ that no metric of the gateway answers").isEmpty();
        assertThat(scraped[0]).contains("sluice_gateway_requests_total{endpoint=\"models\",status=\"200\",}")
                .contains("sluice_gateway_request_seconds_bucket{endpoint=\"models\",le=\"0.001\",}")
                .contains("sluice_gateway_in_flight ")
                .doesNotContain("anything-a-caller-makes-up");
        io.sluice.jobs.testing.Promtool.Check check = io.sluice.jobs.testing.Promtool.checkMetrics(scraped[0]);
        assertThat(check.exitCode()).as("promtool check metrics:%n%s", check.output()).isZero();
    }

    /** The caller's trace, the gateway's span in it, and the job's stages under the gateway's span. */
    @Test
    void aChatCompletionIsOneTraceFromTheCallerThroughTheGatewayToTheAuditRow() throws Exception {
        String callerTrace = "0af7651916cd43dd8448eb211c80319c";
        String callerSpan = "b7ad6b7169203331";
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + second.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + acmeKey).header(Gateway.CONVERSATION_HEADER, "traced-1")
                .header("traceparent", "00-" + callerTrace + "-" + callerSpan + "-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"extractive\",\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"What does the warranty cover?\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        // Spans are exported in batches, and the gateway's ends after the response was written: wait for
        // the first and the last of the trace, then require exactly the stages between them.
        Await.until("the trace's gateway and audit spans", WAIT, () -> io.sluice.jobs.testing.MemorySpans
                .ofTrace(callerTrace).stream().map(s -> s.getName()).toList().containsAll(List.of("gateway", "audit")));
        var trace = io.sluice.jobs.testing.MemorySpans.ofTrace(callerTrace);
        assertThat(trace.stream().map(s -> s.getName()).sorted().toList()).containsExactlyInAnyOrder("gateway",
                "validate", "admission", "embed", "retrieve", "conversation", "model", "audit");
        var gatewaySpan = trace.stream().filter(s -> s.getName().equals("gateway")).findFirst().orElseThrow();
        assertThat(gatewaySpan.getParentSpanId()).isEqualTo(callerSpan);
        assertThat(gatewaySpan.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.SERVER);
        assertThat(trace.stream().filter(s -> s.getName().equals("validate")).findFirst().orElseThrow()
                .getParentSpanId()).as("the job's first stage under the gateway").isEqualTo(gatewaySpan.getSpanId());
    }

    @Test
    void eachApiKeyOfATenantHasItsOwnRateLimit() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String one = serving.createKey(ServingBehindGateway.KEY_LIMITED_TENANT, "one");
        String other = serving.createKey(ServingBehindGateway.KEY_LIMITED_TENANT, "other");
        assertThat(post(http, one, "key-1").statusCode()).isEqualTo(200);
        HttpResponse<String> again = post(http, one, "key-2");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(429);
        assertThat(OpenAiWire.parse(again.body()).path("error").path("message").asText())
                .contains("API key " + ApiKeys.keyIdOf(one) + " of tenant " + ServingBehindGateway.KEY_LIMITED_TENANT);
        assertThat(post(http, other, "key-3").statusCode()).as("the tenant's other key").isEqualTo(200);
    }

    private static HttpResponse<String> post(HttpClient http, String key, String conversation) throws Exception {
        return post(http, first, key, conversation);
    }

    private static HttpResponse<String> post(HttpClient http, Gateway gateway, String key, String conversation)
            throws Exception {
        return http.send(completion(gateway, key, conversation), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest completion(Gateway gateway, String key, String conversation) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header(Gateway.CONVERSATION_HEADER, conversation)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"extractive\",\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"What does the warranty cover?\"}]}")).build();
    }

    /**
     * Keys a flood makes up have the right shape, so each must be looked up: with the keys table
     * locked the lookups hang, and past the bound the next is refused at once, while a real key in
     * the cache still works.
     */
    @Test
    void keysLookedUpAtOnceAreBoundedAndAKeyInTheCacheKeepsWorking() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (Gateway guarded = Gateway.start(serving.gateway(1).maxKeyLookups(2).keyCacheTtl(Duration.ofMinutes(5))
                .build()); Connection owner = serving.stack.openAuditConnection()) {
            assertThat(send(http, guarded, acmeKey, "/v1/models").statusCode()).isEqualTo(200);
            List<CompletableFuture<HttpResponse<String>>> hanging = new ArrayList<>();
            owner.setAutoCommit(false);
            try (Statement lock = owner.createStatement()) {
                lock.execute("LOCK TABLE sluice_api_keys IN ACCESS EXCLUSIVE MODE");
                for (int i = 0; i < 2; i++) {
                    hanging.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + guarded.port()
                            + "/v1/models")).header("Authorization", "Bearer " + madeUpKey(i)).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                Await.until("two lookups hanging on the lock", WAIT, () -> guarded.keyLookups() == 2);

                HttpResponse<String> busy = send(http, guarded, madeUpKey(2), "/v1/models");
                assertThat(busy.statusCode()).as(busy.body()).isEqualTo(503);
                assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(OpenAiWire.parse(busy.body()).path("error").path("code").asText()).isEqualTo("keys_busy");
                assertThat(send(http, guarded, acmeKey, "/v1/models").statusCode()).as("a key in the cache")
                        .isEqualTo(200);
                assertThat(hanging).noneMatch(CompletableFuture::isDone);
            } finally {
                owner.rollback();
            }
            for (CompletableFuture<HttpResponse<String>> made : hanging) {
                assertThat(made.get(WAIT.toSeconds(), TimeUnit.SECONDS).statusCode()).isEqualTo(401);
            }
            assertThat(guarded.keyLookups()).isZero();
        }
    }

    /** A key of Sluice's shape that no one created. */
    private static String madeUpKey(int n) {
        return String.format("sk-sluice-a%011d-%040d", n, n);
    }

    /**
     * An instance whose requests go to a topic no job reads: the answers it waits for never come, so
     * it reaches its limit and refuses the next request at once, telling the client when to retry.
     * Its read timeout is short: a connection that sends nothing is closed, while the requests that
     * wait for answers past it are not cut off.
     */
    @Test
    void anInstanceWaitingForAsManyAnswersAsItMayRefusesMoreWith503AndRetryAfter() throws Exception {
        String unanswered = "chat.requests.unanswered";
        EmbeddedKafka.createTopics(serving.stack.bootstrapServers(), List.of(unanswered), 1);
        try (Gateway full = Gateway.start(serving.gateway(1).topics(unanswered, LocalStack.REPLIES_TOPIC)
                .maxWaiting(2).readTimeout(Duration.ofSeconds(1)).build())) {
            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiting.add(http.sendAsync(completion(full, acmeKey, "full-" + i), HttpResponse.BodyHandlers.ofString()));
            }
            Await.until("two requests waiting for answers", WAIT, () -> full.waiting() == 2);

            HttpResponse<String> refused = post(http, full, acmeKey, "full-2");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(OpenAiWire.parse(refused.body()).path("error").path("code").asText()).isEqualTo("overloaded");
            assertThat(full.waiting()).as("requests waiting after the refusal").isEqualTo(2);
            assertThat(waiting).noneMatch(CompletableFuture::isDone);
            String scraped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + full.port() + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(scraped).contains("sluice_gateway_overloaded_total 1.0");

            try (Socket silent = new Socket("127.0.0.1", full.port())) {
                silent.setSoTimeout((int) WAIT.toMillis());
                assertThat(silent.getInputStream().read()).as("a connection that sent nothing, closed").isEqualTo(-1);
            }
            assertThat(full.waiting()).as("requests waiting for answers longer than the read timeout").isEqualTo(2);
            assertThat(waiting).noneMatch(CompletableFuture::isDone);
        }
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
    void aStartThatFailsLeavesNothingOpen() throws Exception {
        Map<String, Long> threadsBefore = gatewayThreads();
        long connectionsBefore = keysConnections();
        // Everything opens but the HTTP server, whose port the first instance holds.
        assertThatThrownBy(() -> Gateway.start(serving.gateway(1).listen("127.0.0.1", first.port()).build()))
                .hasStackTraceContaining("Address already in use");
        Await.until("the refused instance's threads gone (before " + threadsBefore + ")", WAIT, () -> gatewayThreads()
                .entrySet().stream().allMatch(e -> e.getValue() <= threadsBefore.getOrDefault(e.getKey(), 0L)));
        Await.until("the refused instance's keys connection closed", WAIT, () -> keysConnections() <= connectionsBefore);
        assertThat(client(first, acmeKey).models().list().data()).isNotEmpty();
    }

    /** Live threads of Kafka clients, Vert.x and the replies consumers, counted by name without numbers. */
    private static Map<String, Long> gatewayThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("kafka-producer") || n.startsWith("vert.x") || n.startsWith("sluice-gateway"))
                .collect(Collectors.groupingBy(n -> n.replaceAll("\\d+", "#"), Collectors.counting()));
    }

    private static long keysConnections() throws Exception {
        try (Connection c = serving.stack.openAuditConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                        + "'sluice-gateway'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void aThousandAbortedStreamsLeaveNothingBehind() throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        var heap = ManagementFactory.getMemoryMXBean();
        client(first, acmeKey).chat().completions().create(ask("extractive", "abort-warm-up", "Hello?"));
        int baselineThreads = threads.getThreadCount();
        System.gc();
        long baselineHeap = heap.getHeapMemoryUsage().getUsed();

        ExecutorService clients = Executors.newFixedThreadPool(16);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            int n = i;
            done.add(clients.submit(() -> {
                String body = "{\"model\":\"extractive\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"How are refunds paid back?\"}]}";
                try (Socket socket = new Socket("127.0.0.1", first.port())) {
                    socket.setSoTimeout(30_000);
                    socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\n"
                            + "Authorization: Bearer " + acmeKey + "\r\n" + Gateway.CONVERSATION_HEADER + ": abort-"
                            + (n % 50) + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                            + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    if (n % 10 == 0) {
                        // Some leave mid-stream: after the first event arrived.
                        var in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                                StandardCharsets.UTF_8));
                        for (String line = in.readLine(); line != null && !line.startsWith("data:"); line = in.readLine()) {
                            // headers and chunk sizes
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
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
    void withAKeystoreTheGatewayServesHttps() throws Exception {
        Path keystore = work.resolve("gateway.p12");
        Path password = Files.writeString(work.resolve("keystore-password"), "changeit-for-tests");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "gateway", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "1",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
                keystore.toString(), "-storepass", Files.readString(password)).inheritIO().start();
        assertThat(keytool.waitFor()).as("keytool's exit code").isZero();
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            trusted.load(in, Files.readString(password).toCharArray());
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        try (Gateway https = Gateway.start(serving.gateway(0).tls(keystore.toString(), password.toString()).build())) {
            HttpResponse<String> models = HttpClient.newBuilder().sslContext(tls).build().send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + https.port() + "/v1/models"))
                    .header("Authorization", "Bearer " + acmeKey).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(models.body()).contains("extractive");
            assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + https.port() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString()))
                    .as("plain HTTP to the TLS port").isInstanceOf(IOException.class);
        }
    }

    @Test
    void aJwtFromTheIdentityProviderWorksLikeAKey() throws Exception {
        var claims = new JWTClaimsSet.Builder().issuer("https://login.example").audience("sluice")
                .claim("tenant", TestCorpus.ACME).expirationTime(new Date(System.currentTimeMillis() + 60_000))
                .build();
        var jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256),
                claims);
        jwt.sign(new MACSigner(Files.readAllBytes(hs256Secret)));
        ChatCompletion answer = client(first, jwt.serialize()).chat().completions().create(ask("extractive",
                "g-conv-jwt", "What does the warranty cover?"));
        assertThat(answer.choices().get(0).message().content()).hasValueSatisfying(t -> assertThat(t).contains("warranty"));
    }
}
