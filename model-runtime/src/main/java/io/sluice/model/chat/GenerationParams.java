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

    /** Greedy decoding (temperature 0) with the given limit. */
    public static GenerationParams greedy(int maxTokens, long seed) {
        return new GenerationParams(0.0, 1.0, maxTokens, seed, List.of());
    }
}
