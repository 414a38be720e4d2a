package io.sluice.operators.conversation;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.operators.answer.ExtractiveAnswerer;
import io.sluice.operators.context.ContextCompiler;
import io.sluice.operators.retrieve.IndexFields;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RetrievedRequest;
import io.sluice.schemas.RoutingDecision;

import java.util.List;
import java.util.Set;

/**
 * A turn processor as the conversation stage builds it (tenant {@code acme}'s answers keep personal
 * data), and a turn of tenant {@code acme} about savepoints prepared by it, with two sources.
 */
final class TurnFixture implements AutoCloseable {

    final HfTokenizer tokenizer = EmbeddingModels.bundledMiniLmTokenizer();
    final TurnProcessor processor = new TurnProcessor(new ContextCompiler(tokenizer),
            new ExtractiveAnswerer(IndexFields.analyzer(), 3, 0.3), null, Set.of("acme"), Set.of());

    /** The turn, with no history, routed by {@code routing}. */
    TurnProcessor.PreparedTurn prepared(RoutingDecision routing) {
        ChatRequest request = new ChatRequest("r1", "acme", "c1", "How do savepoints work?", 3, 512, 1000L, 0, 1L,
                "gen");
        RetrievedRequest retrieved = new RetrievedRequest(request, "snap-1", "minilm@1", List.of(
                new RetrievedChunk("doc#0", "doc", "Doc", "Savepoints restore the keyed state of a job.", 0.03, 1, 1),
                new RetrievedChunk("doc#1", "doc", "Doc", "Snapshots are immutable once written.", 0.02, 2, 1)),
                5L, 10L);
        return processor.prepare(retrieved, ConversationHistory.EMPTY, routing);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
