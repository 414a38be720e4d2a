package io.sluice.operators.retrieve;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;

/**
 * The Lucene schema of an index snapshot. One Lucene document per chunk; the analyzer used at index
 * time is the one used at query time and by the extractive answerer.
 */
public final class IndexFields {

    private IndexFields() {}

    /** Keyword, stored: the chunk id ({@code documentId#position}). */
    public static final String CHUNK_ID = "chunk_id";
    /** Keyword, stored: the tenant that owns the chunk; every query filters on it. */
    public static final String TENANT_ID = "tenant_id";
    /** Keyword, stored. */
    public static final String DOCUMENT_ID = "document_id";
    /** Stored only. */
    public static final String TITLE = "title";
    /** Stored only: the chunk text as cited. */
    public static final String TEXT = "text";
    /** Analyzed, not stored: title and text together, for BM25. */
    public static final String CONTENT = "content";
    /** HNSW vector of the chunk's embedding, compared by dot product (vectors are unit length). */
    public static final String VECTOR = "vector";
    /** Stored int: the chunk's token count as a context shows it (title and text). */
    public static final String TOKENS = "tokens";
    /** Keyword, stored: hash of (embedding model, model input), to reuse vectors across runs. */
    public static final String CONTENT_KEY = "content_key";

    /** English analysis: standard tokenizer, lower case, stop words, Porter stemming. */
    public static Analyzer analyzer() {
        return new EnglishAnalyzer();
    }
}
