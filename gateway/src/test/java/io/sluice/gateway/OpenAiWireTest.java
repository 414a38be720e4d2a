package io.sluice.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpenAiWireTest {

    private static final Set<String> MODELS = Set.of("extractive", "remote");

    @Test
    void theTurnIsTheLastUserMessage() throws Exception {
        OpenAiWire.Turn turn = OpenAiWire.parse("{\"model\":\"remote\",\"stream\":true,\"stream_options\":"
                + "{\"include_usage\":true},\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"x\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"How \"},{\"type\":\"text\",\"text\":\"so?\"}]}]}",
                MODELS);
        assertThat(turn).isEqualTo(new OpenAiWire.Turn("remote", "How so?", true, true));
        JsonNode request = OpenAiWire.parse(OpenAiWire.request("r-1", "acme", "c-1", turn));
        assertThat(request.path("tenantId").asText()).isEqualTo("acme");
        assertThat(request.path("answerModel").asText()).isEqualTo("remote");
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
        ApiException failed = OpenAiWire.rejection(OpenAiWire.parse("{\"reason\":\"MODEL_FAILED\",\"detail\":\"503\"}"));
        assertThat(failed.status()).isEqualTo(502);
        assertThat(OpenAiWire.parse(OpenAiWire.error(failed)).path("error").path("type").asText()).isEqualTo("api_error");
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
        assertThat(completion.path("sluice").path("timings").path("answer_ms").asDouble()).isEqualTo(7.25);
        assertThat(completion.path("sluice").path("timings").path("embed_ms").asDouble()).isEqualTo(1.5);
    }
}
