package io.sluice.operators.retrieve;

/** Which retrievers a search uses. Serving uses {@link #HYBRID}; evaluation compares all three. */
public enum SearchMode {
    BM25,
    VECTOR,
    HYBRID
}
