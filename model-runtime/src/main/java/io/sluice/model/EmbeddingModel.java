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
        return embed(card().asQueries(queries));
    }

    /**
     * A search query's vector and the query's token count as {@link #tokenCounter()} counts it (the
     * query alone: no query prefix, no special tokens), or 0 when the model does not know it.
     */
    record QueryVector(float[] vector, int tokens) {}

    /**
     * As {@link #embedQueries}, each vector with its query's token count taken from the tokenization
     * that fed the model, so that a caller who needs the count too (the context budget) need not
     * tokenise the query again. This default knows no counts (0).
     */
    default List<QueryVector> embedQueriesCounted(List<String> queries) {
        return embedQueries(queries).stream().map(v -> new QueryVector(v, 0)).toList();
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
