package io.sluice.model;

/** Counts the tokens of a text the way a model sees them. Implementations are thread-safe. */
@FunctionalInterface
public interface TokenCounter {

    /** The number of tokens of {@code text}, without special tokens such as [CLS] and [SEP]. */
    int count(String text);
}
