package io.sluice.operators.context;

import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.RetrievedChunk;

import java.util.List;

/**
 * The model input of one turn: its text, its size in tokens, the sources it includes (source
 * {@code i} is cited as {@code [i+1]}), the history turns it includes, and the SHA-256 of the text
 * (recorded in the audit trail; replay compares it).
 */
public record CompiledContext(
        String text,
        int tokens,
        List<RetrievedChunk> sources,
        List<ConversationTurn> turns,
        String hash) {

    public CompiledContext {
        sources = List.copyOf(sources);
        turns = List.copyOf(turns);
    }
}
