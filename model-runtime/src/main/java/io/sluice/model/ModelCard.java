package io.sluice.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * What Sluice must know about an embedding model beyond its weights: a stable id and version (they
 * go into index snapshot ids and audit rows), the vector dimension, the longest input in tokens, and
 * how token vectors become one sentence vector.
 *
 * <p>A model directory carries it as {@code model-card.properties} with the keys {@code id},
 * {@code version}, {@code dimension}, {@code max-tokens}, {@code pooling} ({@code mean} or
 * {@code cls}) and optionally {@code query-prefix}.
 *
 * @param queryPrefix what the model wants before a search query (bge's instruction, for example),
 *     and not before the passages it indexes; empty for symmetric models such as MiniLM
 */
public record ModelCard(String id, String version, int dimension, int maxTokens, Pooling pooling,
        String queryPrefix) {

    public static final String FILE_NAME = "model-card.properties";

    /** How token vectors are reduced to one vector per input. */
    public enum Pooling {
        /** Attention-masked mean of the last hidden states. */
        MEAN,
        /** The hidden state of the first ([CLS]) token. */
        CLS
    }

    /** A symmetric model: queries are embedded as passages are. */
    public ModelCard(String id, String version, int dimension, int maxTokens, Pooling pooling) {
        this(id, version, dimension, maxTokens, pooling, "");
    }

    public ModelCard {
        queryPrefix = queryPrefix == null ? "" : queryPrefix;
        if (id == null || id.isBlank() || version == null || version.isBlank()) {
            throw new IllegalArgumentException("A model card needs an id and a version");
        }
        if (dimension <= 0 || maxTokens <= 0) {
            throw new IllegalArgumentException(
                    "Model card " + id + ": dimension and max-tokens must be positive");
        }
    }

    /** A search query as this model is given it: behind its {@link #queryPrefix()}. */
    public String asQuery(String text) {
        return queryPrefix + text;
    }

    /** Search queries as this model is given them ({@link #asQuery}); the list itself without a prefix. */
    public List<String> asQueries(List<String> texts) {
        return queryPrefix.isEmpty() ? texts : texts.stream().map(this::asQuery).toList();
    }

    /** The key under which index snapshots and audit rows name this model. */
    public String qualifiedId() {
        return id + "@" + version;
    }

    public static ModelCard read(Path directory) throws IOException {
        Path file = directory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Model directory " + directory + " has no " + FILE_NAME
                    + " (keys: id, version, dimension, max-tokens, pooling)");
        }
        try (InputStream in = Files.newInputStream(file)) {
            Properties p = new Properties();
            p.load(in);
            try {
                return new ModelCard(
                        p.getProperty("id"),
                        p.getProperty("version"),
                        Integer.parseInt(p.getProperty("dimension", "0").trim()),
                        Integer.parseInt(p.getProperty("max-tokens", "256").trim()),
                        Pooling.valueOf(p.getProperty("pooling", "mean").trim().toUpperCase(
                                java.util.Locale.ROOT)),
                        p.getProperty("query-prefix", ""));
            } catch (IllegalArgumentException e) {
                throw new IOException("Invalid " + file + ": " + e.getMessage(), e);
            }
        }
    }
}
