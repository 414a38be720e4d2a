package io.sluice.jobs.replay;

import io.sluice.model.chat.ChatMessage;
import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationException;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JournalChatModelSpecTest {

    /** A turn whose stream from 'drop' broke after two pieces (9 characters), which 'echo' finished. */
    private static final AuditedTurn FAILED_OVER = new AuditedTurn("f1", "c", "acme", 0, 7L, 1L, """
            {"answer": "You said: hi [1]", "modelId": "openai-compatible:echo",
             "modelCall": {"modelVersion": "echo-1; prompt v2", "promptTokens": 12, "completionTokens": 3,
                           "finishReason": "stop", "chunks": 3},
             "routing": {"failovers": [{"profile": "cutting", "modelId": "openai-compatible:drop", "pieces": 2,
                                        "chars": 9}]}}
            """, "h");

    private static final Map<String, AuditedTurn> JOURNAL = Map.of(FAILED_OVER.position(), FAILED_OVER);

    private static List<String> pieces(ChatModel model, String key, List<Generation> result) {
        List<String> pieces = new ArrayList<>();
        GenerationRequest request = new GenerationRequest(List.of(ChatMessage.user("hi")),
                GenerationParams.greedy(8, 0), key);
        result.add(model.generate(request, pieces::add).join());
        return pieces;
    }

    @Test
    void eachAttemptOfAFailedOverTurnGetsItsPartAndTheFailedOneFailsAgain() {
        ChatModel drop = new JournalChatModelSpec("openai-compatible:drop", JOURNAL).open();
        List<String> streamed = new ArrayList<>();
        GenerationRequest first = new GenerationRequest(List.of(ChatMessage.user("hi")), GenerationParams.greedy(8, 0),
                FAILED_OVER.position());
        assertThatThrownBy(() -> drop.generate(first, streamed::add).join())
                .isInstanceOf(CompletionException.class)
                .satisfies(e -> assertThat(((GenerationException) e.getCause()).backendFault()).isTrue());
        assertThat(streamed).hasSize(2);
        assertThat(String.join("", streamed)).isEqualTo("You said:");

        ChatModel echo = new JournalChatModelSpec("openai-compatible:echo", JOURNAL).open();
        List<Generation> results = new ArrayList<>();
        List<String> rest = pieces(echo, FAILED_OVER.position() + "#2", results);
        assertThat(rest).hasSize(3);
        assertThat(String.join("", rest)).isEqualTo(" hi [1]");
        assertThat(results.get(0).completionTokens()).isEqualTo(3);
        assertThat(results.get(0).modelVersion()).isEqualTo("echo-1");
        // The first attempt was not echo's: the journal has nothing of echo under the position alone.
        assertThatThrownBy(() -> pieces(echo, FAILED_OVER.position(), results)).hasMessageContaining("has no answer");
    }
}
