package io.sluice.model;

import java.util.List;

/**
 * Turns texts into L2-normalised vectors. Implementations are thread-safe and deterministic: the
 * same text gives the same vector whatever else is in the batch.
 */
public interface EmbeddingModel extends AutoCloseable {

    ModelCard card();

    /** The tokenizer of this model, also used to count tokens for context budgets. */
    TokenCounter tokenCounter();

    /** One vector per text, in input order. */
    List<float[]> embed(List<String> texts);

    /**
     * One vector per search query, in input order: each with the card's {@link ModelCard#queryPrefix()},
     * which asymmetric models (bge) need before a query and not before an indexed passage.
     */
    default List<float[]> embedQueries(List<String> queries) {
        ModelCard card = card();
        return embed(card.queryPrefix().isEmpty() ? queries : queries.stream().map(card::asQuery).toList());
    }

    /**
     * Whether a call over several texts embeds them together (one padded batch); false for a model
     * that runs a list as one call per text, whose callers may as well spread the texts over calls.
     */
    default boolean embedsTextsTogether() {
        return true;
    }

    default float[] embed(String text) {
        return embed(List.of(text)).get(0);
    }

    @Override
    void close();
}
