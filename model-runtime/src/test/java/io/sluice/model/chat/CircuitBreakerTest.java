package io.sluice.model.chat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class CircuitBreakerTest {

    private final AtomicLong now = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(
            new CircuitBreaker.Settings(3, Duration.ofSeconds(10), Duration.ofSeconds(30)), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void failuresWithinTheWindowOpenItAndAProbeAfterTheCoolDownClosesIt() {
        breaker.failed();
        breaker.failed();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.failed();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.retryAfter()).isEqualTo(Duration.ofSeconds(30));
        advance(Duration.ofSeconds(30));
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(breaker.tryAcquire()).as("the probe").isTrue();
        assertThat(breaker.tryAcquire()).as("one probe at a time").isFalse();
        breaker.succeeded();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.timesOpened()).isEqualTo(1);
    }

    @Test
    void failuresOutsideTheWindowDoNotAddUpAndAFailedProbeReopens() {
        breaker.failed();
        breaker.failed();
        advance(Duration.ofSeconds(11));
        breaker.failed();
        assertThat(breaker.state()).as("two of the three are too old").isEqualTo(CircuitBreaker.State.CLOSED);
        breaker.failed();
        breaker.failed();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        advance(Duration.ofSeconds(31));
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.failed();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.retryAfter()).isEqualTo(Duration.ofSeconds(30));
        assertThat(breaker.timesOpened()).isEqualTo(2);
    }

    // The breaker in front of a backend speaking OpenAI's protocol (the stand-in).

    private static OpenAiStandInServer server;

    @BeforeAll
    static void start() throws Exception {
        server = new OpenAiStandInServer();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private Throwable call(ChatModel model) {
        return catchThrowable(() -> model.generate(new GenerationRequest(List.of(ChatMessage.user("hi")),
                GenerationParams.greedy(16, 1)), t -> { }).get(20, TimeUnit.SECONDS));
    }

    @Test
    void anOpenBreakerKeepsCallsFromADownBackendAndAProbeFindsItBack() {
        server.down(true);
        BreakingChatModel model = new BreakingChatModel(new OpenAiCompatibleChatModel(new OpenAiBackendConfig(
                server.baseUrl(), "outage", null, Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(5),
                0)), breaker);
        try (model) {
            for (int i = 0; i < 3; i++) {
                assertThat(call(model)).isInstanceOf(ExecutionException.class).hasMessageContaining("HTTP 503");
            }
            assertThat(server.attempts("outage")).isEqualTo(3);
            Throwable refused = call(model);
            assertThat(refused).isInstanceOf(ExecutionException.class).hasMessageContaining("circuit breaker is open")
                    .hasMessageContaining("next try in 30 s");
            assertThat(server.attempts("outage")).as("not sent").isEqualTo(3);

            server.down(false);
            advance(Duration.ofSeconds(30));
            assertThat(call(model)).as("the probe").isNull();
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(call(model)).isNull();
            assertThat(server.attempts("outage")).isEqualTo(5);
        }
    }

    @Test
    void requestsTheBackendRefusesDoNotOpenIt() {
        BreakingChatModel model = new BreakingChatModel(new OpenAiCompatibleChatModel(new OpenAiBackendConfig(
                server.baseUrl(), "invalid", null, Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(5),
                0)), breaker);
        try (model) {
            for (int i = 0; i < 5; i++) {
                assertThat(call(model)).hasMessageContaining("HTTP 400");
            }
            assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        }
    }
}
