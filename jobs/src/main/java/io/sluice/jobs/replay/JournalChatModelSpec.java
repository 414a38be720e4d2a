package io.sluice.jobs.replay;

import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationException;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.model.chat.TokenListener;
import io.sluice.operators.answer.ChatModelSpec;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A remote answer model during replay: answers each request with what the audit trail journaled
 * for it (text, usage, finish reason, model version, number of streamed pieces), without calling
 * anything. A request the journal does not have fails, so replay reports it instead of guessing.
 */
public final class JournalChatModelSpec implements ChatModelSpec {

    private static final long serialVersionUID = 1L;

    /** What was journaled for one request. */
    record Journaled(String text, long promptTokens, long completionTokens, String finishReason, String modelVersion,
            int chunks) implements java.io.Serializable {}

    private final String modelId;
    /** By the position of the turn's request in chat.requests, the journal key the serving job passes. */
    private final HashMap<String, Journaled> answers;

    /**
     * @param modelId the id the live model recorded its answers under
     * @param turns audited turns by position; those answered by {@code modelId} are journaled
     */
    public JournalChatModelSpec(String modelId, Map<String, AuditedTurn> turns) {
        this.modelId = modelId;
        this.answers = new HashMap<>();
        turns.forEach((id, turn) -> {
            JsonNode c = turn.json();
            if (modelId.equals(c.path("modelId").asText())) {
                JsonNode call = c.path("modelCall");
                String version = call.path("modelVersion").asText();
                int prompt = version.lastIndexOf("; prompt v");
                answers.put(id, new Journaled(c.path("answer").asText(), call.path("promptTokens").asLong(),
                        call.path("completionTokens").asLong(), call.path("finishReason").asText(),
                        prompt < 0 ? version : version.substring(0, prompt), call.path("chunks").asInt()));
            }
        });
    }

    @Override
    public String sharingKey() {
        return "journal|" + modelId + "|" + System.identityHashCode(answers);
    }

    /** It stands in for a remote model: routing must see what it saw live. */
    @Override
    public boolean remote() {
        return true;
    }

    @Override
    public ChatModel open() {
        return new ChatModel() {
            @Override
            public String modelId() {
                return modelId;
            }

            @Override
            public CompletableFuture<Generation> generate(GenerationRequest request, TokenListener tokens) {
                Journaled j = request.journalKey() == null ? null : answers.get(request.journalKey());
                if (j == null) {
                    return CompletableFuture.failedFuture(new GenerationException("the audit trail has no answer of "
                            + modelId + " for the request at " + request.journalKey(), "", false, null));
                }
                // As many pieces as the model streamed live (recorded as such); their split does not matter:
                // the chunks sent on from them are not audited, and the answer is the same text.
                String text = j.text();
                for (int i = 0; i < j.chunks(); i++) {
                    tokens.onToken(text.substring(text.length() * i / j.chunks(), text.length() * (i + 1) / j.chunks()));
                }
                return CompletableFuture.completedFuture(new Generation(text, j.promptTokens(), j.completionTokens(),
                        j.finishReason(), j.modelVersion()));
            }

            @Override
            public void close() {}
        };
    }
}
