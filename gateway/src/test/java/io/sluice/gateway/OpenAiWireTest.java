package io.sluice.gateway;

import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationTurn;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

class OpenAiWireTest {

    private static final Set<String> MODELS = Set.of("extractive", "remote");

    @Test
    void theTurnIsTheLastUserMessage() throws Exception {
        OpenAiWire.Turn turn = OpenAiWire.parse("{\"model\":\"remote\",\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":true},\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"x\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"How \"},{\"type\":\"text\",\"text\":\"so?\"}]}]}",
                MODELS);
        assertThat(turn).isEqualTo(new OpenAiWire.Turn("remote", "How so?", true, true, List.of()));
        JsonNode request = OpenAiWire.parse(OpenAiWire.request("r-1", "acme", "c-1", null, turn));
        assertThat(request.path("tenantId").asText()).isEqualTo("acme");
        assertThat(request.path("answerModel").asText()).isEqualTo("remote");
    }

    @Test
    void aFlexServiceTierMakesABulkTurn() throws Exception {
        String body = "{\"model\":\"remote\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        OpenAiWire.Turn flex = OpenAiWire.parse(body + ",\"service_tier\":\"flex\"}", MODELS);
        assertThat(flex.priority()).isEqualTo(ChatRequest.BULK);
        assertThat(OpenAiWire.parse(OpenAiWire.request("r-1", "acme", "c-1", null, flex)).path("priority").asText())
                .isEqualTo("bulk");
        OpenAiWire.Turn auto = OpenAiWire.parse(body + ",\"service_tier\":\"auto\"}", MODELS);
        assertThat(auto.priority()).isEqualTo(ChatRequest.INTERACTIVE);
        assertThat(OpenAiWire.parse(OpenAiWire.request("r-1", "acme", "c-1", null, auto)).has("priority")).isFalse();
        assertThatThrownBy(() -> OpenAiWire.parse(body + ",\"service_tier\":\"urgent\"}", MODELS))
                .isInstanceOf(ApiException.class).hasMessageContaining("'service_tier' must be one of");
    }

    @Test
    void theMessagesBeforeTheLastAreTheConversationSoFar() throws Exception {
        OpenAiWire.Turn turn = OpenAiWire.parse("{\"model\":\"extractive\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Refunds?\"},{\"role\":\"assistant\",\"content\":\"Thirty days [1].\"},"
                + "{\"role\":\"user\",\"content\":\"Hello?\"},{\"role\":\"user\",\"content\":\"Anyone?\"},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Yes.\"}]},"
                + "{\"role\":\"tool\",\"content\":\"{}\"},{\"role\":\"assistant\",\"content\":null},"
                + "{\"role\":\"user\",\"content\":\"And shipping?\"}]}", MODELS);
        assertThat(turn.message()).isEqualTo("And shipping?");
        // A question without a reply keeps its place; system, tool and text-less assistant messages go.
        assertThat(turn.earlier()).extracting(ConversationTurn::question, ConversationTurn::answer).containsExactly(
                tuple("Refunds?", "Thirty days [1]."), tuple("Hello?", ""), tuple("Anyone?", "Yes."));

        JsonNode stateless = OpenAiWire.parse(OpenAiWire.request("r-1", "acme", null, "0123456789ab", turn));
        assertThat(stateless.has("conversationId")).isFalse();
        assertThat(stateless.path("history")).hasSize(3);
        assertThat(stateless.path("apiKeyId").asText()).isEqualTo("0123456789ab");
        assertThat(stateless.path("history").get(0).path("answer").asText()).isEqualTo("Thirty days [1].");
        JsonNode named = OpenAiWire.parse(OpenAiWire.request("r-1", "acme", "c-1", null, turn));
        assertThat(named.path("conversationId").asText()).isEqualTo("c-1");
        assertThat(named.has("history")).isFalse();
        assertThat(named.has("apiKeyId")).isFalse();
    }

    @Test
    void aLongConversationSendsItsNewestTurnsWithinTheJobsBounds() throws Exception {
        StringBuilder messages = new StringBuilder();
        for (int i = 0; i < Bounds.MAX_CLIENT_TURNS + 10; i++) {
            messages.append("{\"role\":\"user\",\"content\":\"q").append(i).append("\"},")
                    .append("{\"role\":\"assistant\",\"content\":\"a").append(i).append("\"},");
        }
        OpenAiWire.Turn many = OpenAiWire.parse("{\"model\":\"extractive\",\"messages\":[" + messages
                + "{\"role\":\"user\",\"content\":\"now\"}]}", MODELS);
        assertThat(many.earlier()).hasSize(Bounds.MAX_CLIENT_TURNS);
        assertThat(many.earlier().get(0).question()).isEqualTo("q10");
        assertThat(many.earlier().get(Bounds.MAX_CLIENT_TURNS - 1).answer()).isEqualTo("a" + (Bounds.MAX_CLIENT_TURNS + 9));

        String half = "x".repeat(Bounds.MAX_CLIENT_HISTORY_CHARS / 2);
        OpenAiWire.Turn longOnes = OpenAiWire.parse("{\"model\":\"extractive\",\"messages\":["
                + ("{\"role\":\"user\",\"content\":\"" + half + "\"},").repeat(3)
                + "{\"role\":\"user\",\"content\":\"now\"}]}", MODELS);
        assertThat(longOnes.earlier()).hasSize(2);
    }

    @Test
    void badRequestsAreOpenAiErrorsWithTheirStatus() {
        assertThatThrownBy(() -> OpenAiWire.parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                MODELS)).isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.code()).isEqualTo("model_not_found");
                });
        assertThatThrownBy(() -> OpenAiWire.parse("{\"model\":\"remote\",\"messages\":[]}", MODELS))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> OpenAiWire.parse("not json", MODELS))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThat(OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"CONVERSATION_BUSY\",\"detail\":\"busy\","
                + "\"requestId\":\"r-1\"}")).status()).isEqualTo(429);
        ApiException limited = OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"RATE_LIMITED\",\"detail\":\"over\","
                + "\"requestId\":\"r-2\",\"retryAt\":\"2026-12-01T12:01:00Z\",\"retryAfterMs\":1500}"));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.code()).isEqualTo("rate_limited");
        assertThat(limited.retryAfterSeconds()).isEqualTo(2);
        assertThat(limited.requestId()).isEqualTo("r-2");
        ApiException spent = OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"BUDGET_EXHAUSTED\",\"detail\":\"x\","
                + "\"retryAfterMs\":7200000}"));
        assertThat(spent.status()).isEqualTo(429);
        assertThat(spent.type()).isEqualTo("insufficient_quota");
        assertThat(spent.retryAfterSeconds()).isEqualTo(7200);
        assertThat(OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"BUDGET_EXHAUSTED\",\"detail\":\"x\"}"))
                .retryAfterSeconds()).as("held by running turns only").isEqualTo(1);
        ApiException injected = OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"PROMPT_INJECTION\","
                + "\"detail\":\"looks like an attack (OVERRIDE)\"}"));
        assertThat(injected.status()).isEqualTo(400);
        assertThat(injected.code()).isEqualTo("prompt_injection");
        ApiException failed = OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"MODEL_FAILED\",\"detail\":\"503\"}"));
        assertThat(failed.status()).isEqualTo(502);
        assertThat(OpenAiWire.parse(OpenAiWire.error(failed)).path("error").path("type").asText()).isEqualTo("api_error");
        ApiException noModel = OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"NO_MODEL_AVAILABLE\","
                + "\"detail\":\"no profile could answer 'auto' (rule default): large breaker-open\"}"));
        assertThat(noModel.status()).isEqualTo(503);
        assertThat(noModel.code()).isEqualTo("no_model_available");
        ApiException overloaded = OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"OVERLOADED\",\"detail\":\"busy\"}"));
        assertThat(overloaded.status()).isEqualTo(503);
        assertThat(overloaded.retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void anAnswerBecomesACompletionWithCitationsBeside() {
        JsonNode answer = OpenAiWire.parse("{\"type\":\"answer\",\"requestId\":\"r-1\",\"conversationId\":\"c-1\","
                + "\"answer\":\"Thirty days. [1]\",\"citations\":[{\"marker\":1,\"chunkId\":\"d#0\",\"documentId\":\"d\","
                + "\"title\":\"Refunds\"}],\"historyTurns\":2,\"usage\":{\"promptTokens\":-1,\"completionTokens\":-1},"
                + "\"model\":{\"finishReason\":\"length\"},\"timings\":{\"embedMs\":1.5,\"retrieveMs\":2.0,"
                + "\"compileMs\":0.5,\"answerMs\":7.25}}");
        JsonNode completion = OpenAiWire.parse(OpenAiWire.completion("chatcmpl-r-1", 5, "extractive", answer));
        assertThat(completion.path("object").asText()).isEqualTo("chat.completion");
        assertThat(completion.path("choices").get(0).path("message").path("content").asText()).isEqualTo("Thirty days. [1]");
        assertThat(completion.path("choices").get(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(completion.path("usage").path("total_tokens").asInt()).isZero();
        assertThat(completion.path("sluice").path("citations").get(0).path("title").asText()).isEqualTo("Refunds");
        assertThat(completion.path("sluice").path("history_turns").asInt()).isEqualTo(2);
        assertThat(completion.path("sluice").path("conversation_mode").asText()).isEqualTo("server");
        assertThat(completion.path("sluice").path("grounding").path("ungrounded").asBoolean()).isFalse();
        assertThat(completion.path("sluice").path("conversation_id").asText()).isEqualTo("c-1");
        JsonNode brought = OpenAiWire.parse(OpenAiWire.completion("chatcmpl-r-1", 5, "extractive",
                OpenAiWire.parse(answer.toString().replace("\"historyTurns\"", "\"conversationMode\":\"client\","
                        + "\"historyTurns\""))));
        assertThat(brought.path("sluice").path("conversation_mode").asText()).isEqualTo("client");
        assertThat(brought.path("sluice").has("conversation_id")).isFalse();
        assertThat(completion.path("sluice").path("timings").path("answer_ms").asDouble()).isEqualTo(7.25);
        assertThat(completion.path("sluice").path("timings").path("embed_ms").asDouble()).isEqualTo(1.5);
        assertThat(completion.path("sluice").has("routing")).as("no routing in the answer record").isFalse();
        JsonNode routed = OpenAiWire.parse(OpenAiWire.completion("chatcmpl-r-1", 5, "auto",
                OpenAiWire.parse(answer.toString().replace("\"historyTurns\"", "\"routing\":{\"policyVersion\":3,"
                        + "\"rule\":\"default\",\"intent\":\"lookup\",\"profile\":\"small\",\"profileVersion\":2,"
                        + "\"skipped\":[{\"profile\":\"large\",\"reason\":\"breaker-open\"}]},\"historyTurns\""))));
        JsonNode routing = routed.path("sluice").path("routing");
        assertThat(routing.path("profile").asText()).isEqualTo("small");
        assertThat(routing.path("rule").asText()).isEqualTo("default");
        assertThat(routing.path("policy_version").asInt()).isEqualTo(3);
        assertThat(routing.path("skipped").get(0).path("reason").asText()).isEqualTo("breaker-open");
    }
}
