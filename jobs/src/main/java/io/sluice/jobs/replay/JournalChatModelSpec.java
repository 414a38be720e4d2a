package io.sluice.jobs.replay;

import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationException;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.model.chat.TokenListener;
import io.sluice.operators.answer.ChatModelSpec;
import io.sluice.operators.conversation.StreamedText;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A remote answer model during replay: answers each request with what the audit trail journaled
 * for it (text, usage, finish reason, model version, number of streamed pieces), without calling
 * anything. A request the journal does not have fails, so replay reports it instead of guessing.
 *
 * <p>A turn whose answer several profiles produced (failovers) is journaled per attempt, under the
 * key the serving job gives each attempt (the position, then {@code position#2}, ...): a profile
 * that failed streams its part of the answer (the answer's next {@code chars} characters, in as
 * many pieces as it sent) and fails as a broken stream does; the one that finished streams the rest.
 */
public final class JournalChatModelSpec implements ChatModelSpec {

    private static final long serialVersionUID = 1L;

    /** What was journaled for one request. */
    record Journaled(String text, long promptTokens, long completionTokens, String finishReason, String modelVersion,
            int pieces, boolean failed) implements java.io.Serializable {}

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
            String answer = c.path("answer").asText();
            int from = 0;
            int attempt = 1;
            for (JsonNode f : c.path("routing").path("failovers")) {
                int to = Math.min(answer.length(), from + Math.max(0, f.path("chars").asInt()));
                if (modelId.equals(f.path("modelId").asText())) {
                    answers.put(key(id, attempt), new Journaled(answer.substring(from, to), -1, -1, null, null,
                            f.path("pieces").asInt(), true));
                }
                from = to;
                attempt++;
            }
            if (modelId.equals(c.path("modelId").asText())) {
                JsonNode call = c.path("modelCall");
                answers.put(key(id, attempt), new Journaled(answer.substring(from), call.path("promptTokens").asLong(),
                        call.path("completionTokens").asLong(), call.path("finishReason").asText(),
                        AuditJournal.modelVersion(call), AuditJournal.modelPieces(call), false));
            }
        });
    }

    /** The journal key of a turn's {@code attempt}: as the serving job names its generation requests. */
    private static String key(String position, int attempt) {
        return attempt == 1 ? position : position + "#" + attempt;
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
                // the pieces sent on from them are not audited, and the answer is the same text.
                String text = j.text();
                StreamedText.split(text, j.pieces()).forEach(tokens::onToken);
                if (j.failed()) {
                    return CompletableFuture.failedFuture(new GenerationException(modelId + " failed here live "
                            + "(journaled failover)", text, false, true, null));
                }
                return CompletableFuture.completedFuture(new Generation(text, j.promptTokens(), j.completionTokens(),
                        j.finishReason(), j.modelVersion()));
            }

            @Override
            public void close() {}
        };
    }
}
