package io.sluice.model.chat;

import java.io.Serializable;
import java.util.List;

/**
 * Sampling parameters of one generation. {@code seed} makes sampling reproducible where the
 * backend honours it; Sluice derives it from the request id, never from the clock.
 */
public record GenerationParams(double temperature, double topP, int maxTokens, long seed, List<String> stop)
        implements Serializable {

    public GenerationParams {
        if (temperature < 0 || topP <= 0 || topP > 1 || maxTokens < 1) {
            throw new IllegalArgumentException("temperature >= 0, 0 < topP <= 1 and maxTokens >= 1 are required");
        }
        stop = List.copyOf(stop);
    }

    /** These parameters with another seed. */
    public GenerationParams withSeed(long newSeed) {
        return new GenerationParams(temperature, topP, maxTokens, newSeed, stop);
    }

    /**
     * The seed of a request: the first 31 bits of the SHA-256 of its id. The same request gets the
     * same seed in every run and every replay; 31 bits because some servers take the seed as a
     * 32-bit signed integer.
     */
    public static long seedFor(String requestId) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(requestId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.nio.ByteBuffer.wrap(digest).getInt() & 0x7fffffffL;
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Greedy decoding (temperature 0) with the given limit. */
    public static GenerationParams greedy(int maxTokens, long seed) {
        return new GenerationParams(0.0, 1.0, maxTokens, seed, List.of());
    }
}
