package io.sluice.operators.chunk;

/**
 * How documents are cut. {@code maxTokens} bounds a chunk (the embedding model truncates beyond its
 * own maximum, so keep this below it); {@code overlapTokens} is how much trailing text of a chunk
 * is repeated at the start of the next, in whole sentences.
 */
public record ChunkerSettings(int maxTokens, int overlapTokens) {

    public static final ChunkerSettings DEFAULT = new ChunkerSettings(200, 40);

    public ChunkerSettings {
        if (maxTokens < 16) {
            throw new IllegalArgumentException("chunk max tokens must be at least 16, got " + maxTokens);
        }
        if (overlapTokens < 0 || overlapTokens >= maxTokens) {
            throw new IllegalArgumentException("chunk overlap must be in [0, max tokens), got "
                    + overlapTokens);
        }
    }

    /**
     * The version of the chunking rules (sentence splitting included). Bump it whenever the same
     * text and settings would give different chunks, or backfills will reuse stale snapshots;
     * {@code ChunkerTest} pins the current output to catch a change that forgot to.
     */
    public static final int ALGORITHM_VERSION = 3;

    /** The settings as they enter the snapshot id. */
    public String fingerprint() {
        return "sentence-chunker-v" + ALGORITHM_VERSION + ":max=" + maxTokens + ":overlap=" + overlapTokens;
    }
}
