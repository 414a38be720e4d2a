package io.sluice.operators.conversation;

import io.sluice.operators.answer.Answer;
import io.sluice.operators.answer.AnswerModel;
import io.sluice.operators.context.CompiledContext;
import io.sluice.operators.context.ContextCompiler;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RetrievedRequest;
import io.sluice.schemas.StageTimings;

import java.util.ArrayList;
import java.util.List;

/**
 * Answers one turn of a conversation: compiles the context from the request, the conversation's
 * history and the retrieved chunks, asks the answer model, and maps cited markers back to chunks.
 * The caller owns the history; this class keeps no state.
 */
public final class TurnProcessor {

    private final ContextCompiler compiler;
    private final AnswerModel model;

    public TurnProcessor(ContextCompiler compiler, AnswerModel model) {
        this.compiler = compiler;
        this.model = model;
    }

    /** The turn to append to the history once {@code turn} is answered, with its token count. */
    public ConversationTurn historyTurn(AnsweredTurn turn) {
        ChatRequest r = turn.request();
        ConversationTurn t = new ConversationTurn(r.requestId(), r.eventTime(), r.message(), turn.answer());
        return t.withTokens(compiler.turnTokens(t));
    }

    public AnsweredTurn process(RetrievedRequest retrieved, ConversationHistory history) {
        ChatRequest request = retrieved.request();
        long t0 = System.nanoTime();
        CompiledContext context = compiler.compile(request.message(), history.turns(),
                retrieved.chunks(), request.contextTokens());
        long t1 = System.nanoTime();
        Answer answer = model.answer(request.message(), context);
        long t2 = System.nanoTime();

        List<Citation> citations = new ArrayList<>();
        for (int marker : answer.citedMarkers()) {
            RetrievedChunk c = context.sources().get(marker - 1);
            citations.add(new Citation(marker, c.chunkId(), c.documentId(), c.title()));
        }
        return new AnsweredTurn(request, retrieved.snapshotId(), retrieved.embeddingModel(),
                retrieved.chunks(), context.hash(),
                context.tokens(), context.turns().size(), model.modelId(), answer.text(), citations,
                new StageTimings(retrieved.embedMicros(), retrieved.retrieveMicros(), (t1 - t0) / 1000, (t2 - t1) / 1000));
    }
}
