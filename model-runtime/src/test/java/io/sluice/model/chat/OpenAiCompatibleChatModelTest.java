package io.sluice.model.chat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The OpenAI-compatible backend over real HTTP and SSE, against a stand-in server on a free port. */
class OpenAiCompatibleChatModelTest {

    private static OpenAiStandInServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new OpenAiStandInServer();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static ChatModel model(String name) {
        return new OpenAiCompatibleChatModel(new OpenAiBackendConfig(server.baseUrl(), name, "test-key",
                Duration.ofSeconds(2), Duration.ofMillis(500), Duration.ofSeconds(10), 3));
    }

    private static GenerationRequest ask(String question) {
        return new GenerationRequest(List.of(ChatMessage.system("Answer briefly."), ChatMessage.user(question)),
                new GenerationParams(0.2, 0.9, 64, 42L, List.of("###")));
    }

    private static GenerationException failure(ChatModel model, List<String> tokens) {
        var future = model.generate(ask("hello there"), tokens::add);
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> future.get(20, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(GenerationException.class);
        return (GenerationException) thrown.getCause();
    }

    @Test
    void streamsTokensAndReportsUsageAndFinishReason() throws Exception {
        List<String> tokens = new CopyOnWriteArrayList<>();
        try (ChatModel model = model("echo")) {
            Generation g = model.generate(ask("what is Flink"), tokens::add).get(20, TimeUnit.SECONDS);
            assertThat(g.text()).isEqualTo("You said: what is Flink");
            assertThat(String.join("", tokens)).isEqualTo(g.text());
            assertThat(tokens).hasSize(5);
            assertThat(g.finishReason()).isEqualTo("stop");
            assertThat(g.completionTokens()).isEqualTo(5);
            assertThat(g.promptTokens()).isEqualTo(6);
            assertThat(model.modelId()).isEqualTo("openai-compatible:echo");
        }
        // What went over the wire is a standard chat completions request.
        var sent = server.requests.stream().filter(r -> r.path("model").asText().equals("echo")).findFirst().orElseThrow();
        assertThat(sent.path("stream").asBoolean()).isTrue();
        assertThat(sent.path("seed").asLong()).isEqualTo(42L);
        assertThat(sent.path("temperature").asDouble()).isEqualTo(0.2);
        assertThat(sent.path("max_completion_tokens").asInt()).isEqualTo(64);
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(sent.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(sent.path("messages").get(1).path("content").asText()).isEqualTo("what is Flink");
    }

    @Test
    void retriesServerErrorsAndRateLimitsBeforeTheFirstToken() throws Exception {
        try (ChatModel flaky = model("flaky"); ChatModel limited = model("limited")) {
            assertThat(flaky.generate(ask("again"), TokenListener.NONE).get(20, TimeUnit.SECONDS).text())
                    .isEqualTo("You said: again");
            assertThat(server.attempts("flaky")).isEqualTo(3);
            assertThat(limited.generate(ask("once more"), TokenListener.NONE).get(20, TimeUnit.SECONDS).text())
                    .isEqualTo("You said: once more");
            assertThat(server.attempts("limited")).isEqualTo(2);
        }
    }

    @Test
    void aClientErrorFailsAtOnceWithTheServersMessage() {
        try (ChatModel model = model("invalid")) {
            GenerationException e = failure(model, new CopyOnWriteArrayList<>());
            assertThat(e.getMessage()).contains("HTTP 400").contains("messages must not be empty");
            assertThat(e.retryable()).isFalse();
            assertThat(e.backendFault()).as("the request's fault").isFalse();
            assertThat(e.partialText()).isEmpty();
            assertThat(server.attempts("invalid")).isEqualTo(1);
        }
    }

    @Test
    void aStreamCutAfterTokensFailsWithThePartialTextAndIsNotRetried() {
        List<String> tokens = new CopyOnWriteArrayList<>();
        try (ChatModel model = model("drop")) {
            GenerationException e = failure(model, tokens);
            assertThat(e.partialText()).isEqualTo("You said:");
            assertThat(tokens).containsExactly("You", " said:");
            assertThat(e.retryable()).isFalse();
            assertThat(e.backendFault()).isTrue();
            assertThat(e.getMessage()).contains("after 2 pieces of text");
            assertThat(server.attempts("drop")).isEqualTo(1);
        }
    }

    @Test
    void aStalledStreamHitsTheReadTimeout() {
        try (ChatModel model = model("stall")) {
            long start = System.nanoTime();
            GenerationException e = failure(model, new CopyOnWriteArrayList<>());
            assertThat(e.partialText()).isEqualTo("You");
            assertThat(server.attempts("stall")).isEqualTo(1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void aStreamThatDripsHitsTheTotalTimeout() {
        // A byte a second: never silent for the read timeout, so only the total timeout can end it.
        try (ChatModel model = new OpenAiCompatibleChatModel(new OpenAiBackendConfig(server.baseUrl(), "drip", null,
                Duration.ofSeconds(2), Duration.ofMillis(1_500), Duration.ofSeconds(3), 3))) {
            long start = System.nanoTime();
            GenerationException e = failure(model, new CopyOnWriteArrayList<>());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(e.getMessage()).contains("total timeout of 3000 ms");
            assertThat(e.backendFault()).isTrue();
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofSeconds(3)).isLessThan(Duration.ofSeconds(8));
            assertThat(server.attempts("drip")).isEqualTo(1);
        }
    }

    @Test
    void aStreamWithoutAFinishReasonIsAnError() {
        try (ChatModel model = model("unfinished")) {
            GenerationException e = failure(model, new CopyOnWriteArrayList<>());
            assertThat(e.getMessage()).contains("without a finish reason");
            assertThat(e.backendFault()).isTrue();
            assertThat(e.partialText()).isEqualTo("You said: hello there");
        }
    }

    @Test
    void anUnreachableServerFailsAfterItsRetries() {
        ChatModel model = new OpenAiCompatibleChatModel(new OpenAiBackendConfig("http://127.0.0.1:1/v1", "echo", null,
                Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(5), 1));
        try (model) {
            GenerationException e = failure(model, new CopyOnWriteArrayList<>());
            assertThat(e.retryable()).isTrue();
            assertThat(e.backendFault()).isTrue();
            assertThat(e.partialText()).isEmpty();
        }
    }

    @Test
    void configRejectsNonsenseAndHidesTheKey() {
        assertThatThrownBy(() -> OpenAiBackendConfig.of("", "m", null)).hasMessageContaining("base URL");
        assertThat(OpenAiBackendConfig.of("http://x/v1", "m", "secret").toString()).doesNotContain("secret");
    }
}
