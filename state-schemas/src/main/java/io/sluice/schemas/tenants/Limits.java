package io.sluice.schemas.tenants;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the admission stage holds a tenant to; each part null (or empty, or 0) when unbounded:
 * requests per minute for the tenant ({@code rate}) and for each of its API keys ({@code keyRate});
 * generative tokens per day and month for the tenant ({@code tokens}), each API key
 * ({@code keyTokens}) and each answer model ({@code modelTokens}, by model name); and generations
 * in flight at once ({@code maxInFlight}).
 */
public record Limits(RateLimit rate, RateLimit keyRate, TokenBudget tokens, TokenBudget keyTokens,
        TreeMap<String, TokenBudget> modelTokens, int maxInFlight) implements Serializable {

    /** No limits at all. */
    public static final Limits NONE = new Limits(null, null, null, null, null, 0);

    public Limits {
        // A private TreeMap (serializable, ordered), exposed read-only.
        modelTokens = modelTokens == null ? new TreeMap<>() : new TreeMap<>(modelTokens);
        if (maxInFlight < 0) {
            throw new IllegalArgumentException("maxInFlight must be 0 (unbounded) or more, not " + maxInFlight);
        }
    }

    @Override
    public TreeMap<String, TokenBudget> modelTokens() {
        return new TreeMap<>(modelTokens);
    }

    /** Whether any limit is set. */
    public boolean any() {
        return rate != null || keyRate != null || budgeted();
    }

    /** Whether generations are counted: a token budget or an in-flight bound is set. */
    public boolean budgeted() {
        return tokens != null || keyTokens != null || !modelTokens.isEmpty() || maxInFlight > 0;
    }

    public Limits withRate(RateLimit limit) {
        return new Limits(limit, keyRate, tokens, keyTokens, modelTokens, maxInFlight);
    }

    public Limits withKeyRate(RateLimit limit) {
        return new Limits(rate, limit, tokens, keyTokens, modelTokens, maxInFlight);
    }

    public Limits withTokens(TokenBudget budget) {
        return new Limits(rate, keyRate, budget, keyTokens, modelTokens, maxInFlight);
    }

    public Limits withKeyTokens(TokenBudget budget) {
        return new Limits(rate, keyRate, tokens, budget, modelTokens, maxInFlight);
    }

    public Limits withModelTokens(Map<String, TokenBudget> budgets) {
        return new Limits(rate, keyRate, tokens, keyTokens, budgets == null ? null : new TreeMap<>(budgets),
                maxInFlight);
    }

    public Limits withMaxInFlight(int max) {
        return new Limits(rate, keyRate, tokens, keyTokens, modelTokens, max);
    }

    /** The budget of answer model {@code model}, or null. */
    public TokenBudget modelTokens(String model) {
        return modelTokens.get(model);
    }
}
