package io.sluice.operators.validate;

import io.sluice.schemas.Bounds;

/**
 * A tenant and its limits. {@code topK} and {@code contextTokens} are the defaults a request may
 * lower or raise up to {@code maxTopK} / {@code maxContextTokens}. {@code answerModel} answers the
 * tenant's requests that name no model; null leaves it to the job's default.
 */
public record Tenant(
        String id,
        int maxMessageChars,
        int topK,
        int maxTopK,
        int contextTokens,
        int maxContextTokens,
        String answerModel) {

    public Tenant(String id, int maxMessageChars, int topK, int maxTopK, int contextTokens, int maxContextTokens) {
        this(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, null);
    }

    public Tenant {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("tenant id is required");
        }
        if (maxMessageChars <= 0 || topK <= 0 || maxTopK < topK || contextTokens <= 0
                || maxContextTokens < contextTokens) {
            throw new IllegalArgumentException("tenant " + id + ": limits must be positive and each "
                    + "default at most its maximum");
        }
        if (maxMessageChars > Bounds.MAX_MESSAGE_CHARS || maxTopK > Bounds.MAX_TOP_K) {
            // Every record Sluice writes has a stated size bound; these two feed most of it.
            throw new IllegalArgumentException("tenant " + id + ": maxMessageChars may be at most "
                    + Bounds.MAX_MESSAGE_CHARS + " and maxTopK at most " + Bounds.MAX_TOP_K);
        }
    }

    /** A tenant with the default limits. */
    public static Tenant withDefaults(String id) {
        return new Tenant(id, 4000, 5, 20, 1024, 4096);
    }
}
