package io.sluice.model;

/** Counts the tokens of a text the way a model sees them. Implementations are thread-safe. */
@FunctionalInterface
public interface TokenCounter {

    /** The number of tokens of {@code text}, without special tokens such as [CLS] and [SEP]. */
    int count(String text);

    /**
     * Whether counts add up over lines: {@code count(a + "\n" + b) == count(a) + count(b)} for any
     * texts {@code a} and {@code b}. True of tokenizers that split at whitespace before anything
     * else and never join tokens across it (BERT's WordPiece); then a text made of blocks on lines of
     * their own can be counted block by block, and a block seen before need not be counted again.
     * Such tokenizers split at a space as at a newline, so the count of a query behind a prefix that
     * ends in a space is the query's own plus the prefix's. False (the default) when in doubt.
     */
    default boolean countsAddUpOverLines() {
        return false;
    }
}
