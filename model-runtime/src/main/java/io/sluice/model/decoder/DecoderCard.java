package io.sluice.model.decoder;

import io.sluice.model.ModelCard;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * What Sluice must know about a generative decoder beyond its weights, from the
 * {@code model-card.properties} of its directory: {@code id} and {@code version} (recorded with
 * every answer), {@code prompt-format} (how chat messages become the prompt: {@code chatml} or
 * {@code plain}), {@code stop-tokens} (comma-separated special tokens that end an answer, e.g.
 * {@code <|im_end|>,<|endoftext|>}) and {@code max-context} (prompt plus answer, in tokens).
 */
public record DecoderCard(String id, String version, PromptFormat promptFormat, List<String> stopTokens,
        int maxContext) {

    public DecoderCard {
        if (id == null || id.isBlank() || version == null || version.isBlank()) {
            throw new IllegalArgumentException("A decoder model card needs an id and a version");
        }
        if (maxContext < 2) {
            throw new IllegalArgumentException("Model card " + id + ": max-context must be at least 2");
        }
        stopTokens = List.copyOf(stopTokens);
    }

    public String qualifiedId() {
        return id + "@" + version;
    }

    public static DecoderCard read(Path directory) throws IOException {
        Path file = directory.resolve(ModelCard.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Decoder directory " + directory + " has no " + ModelCard.FILE_NAME
                    + " (keys: id, version, prompt-format, stop-tokens, max-context)");
        }
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        try {
            return new DecoderCard(p.getProperty("id"), p.getProperty("version"),
                    PromptFormat.valueOf(p.getProperty("prompt-format", "chatml").trim().toUpperCase(java.util.Locale.ROOT)),
                    Arrays.stream(p.getProperty("stop-tokens", "").split(","))
                            .map(String::strip).filter(s -> !s.isEmpty()).toList(),
                    Integer.parseInt(p.getProperty("max-context", "2048").trim()));
        } catch (IllegalArgumentException e) {
            throw new IOException("Invalid " + file + ": " + e.getMessage(), e);
        }
    }
}
