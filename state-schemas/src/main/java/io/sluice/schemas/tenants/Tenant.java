package io.sluice.schemas.tenants;

import io.sluice.schemas.Bounds;

import java.util.Collection;
import java.util.List;

/**
 * A tenant and its limits. {@code topK} and {@code contextTokens} are the defaults a request may
 * lower or raise up to {@code maxTopK} / {@code maxContextTokens}. {@code answerModel} answers the
 * tenant's requests that name no model; null leaves it to the job's default. {@code models} are the
 * answer models the tenant may use; null allows every model the job offers. {@code pii} is what
 * validation does with personal data in the tenant's requests (null: {@link PiiPolicy#REDACT}).
 * {@code limits} are what the admission stage holds the tenant to (rates, token budgets, generations
 * in flight; {@link Limits#NONE} by default). {@code injection} is what is done with text the
 * prompt-injection detector flags (null: {@link InjectionPolicy#STRIP}). {@code tier} is the label
 * routing rules match the tenant by (null: {@value #DEFAULT_TIER}); {@code residency}, when set,
 * keeps the tenant's turns off remote model profiles tagged with another residency (or none).
 * {@code responseCache}, when set, lets the tenant's generative answers be served again from the
 * response cache (null: never cached).
 */
public record Tenant(
        String id,
        int maxMessageChars,
        int topK,
        int maxTopK,
        int contextTokens,
        int maxContextTokens,
        String answerModel,
        List<String> models,
        PiiPolicy pii,
        Limits limits,
        InjectionPolicy injection,
        String tier,
        String residency,
        ResponseCachePolicy responseCache) {

    /** The tier of tenants that name none. */
    public static final String DEFAULT_TIER = "standard";

    /** A tenant of the default tier without residency. */
    public Tenant(String id, int maxMessageChars, int topK, int maxTopK, int contextTokens, int maxContextTokens,
            String answerModel, List<String> models, PiiPolicy pii, Limits limits, InjectionPolicy injection) {
        this(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, pii, limits,
                injection, DEFAULT_TIER, null, null);
    }

    /** A tenant whose flagged sources are stripped (the default policy). */
    public Tenant(String id, int maxMessageChars, int topK, int maxTopK, int contextTokens, int maxContextTokens,
            String answerModel, List<String> models, PiiPolicy pii, Limits limits) {
        this(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, pii, limits,
                InjectionPolicy.STRIP);
    }

    /** A tenant without limits. */
    public Tenant(String id, int maxMessageChars, int topK, int maxTopK, int contextTokens, int maxContextTokens,
            String answerModel, List<String> models, PiiPolicy pii) {
        this(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, pii,
                Limits.NONE);
    }

    public Tenant(String id, int maxMessageChars, int topK, int maxTopK, int contextTokens, int maxContextTokens) {
        this(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, null, null);
    }

    /** A tenant whose personal data is redacted. */
    public Tenant(String id, int maxMessageChars, int topK, int maxTopK, int contextTokens, int maxContextTokens,
            String answerModel, List<String> models) {
        this(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, PiiPolicy.REDACT);
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
        if (pii == null) {
            pii = PiiPolicy.REDACT;
        }
        if (limits == null) {
            limits = Limits.NONE;
        }
        if (injection == null) {
            injection = InjectionPolicy.STRIP;
        }
        if (tier == null || tier.isBlank()) {
            tier = DEFAULT_TIER;
        }
        if (residency != null && residency.isBlank()) {
            throw new IllegalArgumentException("tenant " + id + ": 'residency' must not be blank (leave it out for none)");
        }
        for (String model : limits.modelTokens().keySet()) {
            if (models != null && !models.contains(model)) {
                throw new IllegalArgumentException("tenant " + id + ": a token budget for model '" + model
                        + "', which is not one of its models " + models);
            }
        }
        if (models != null) {
            models = List.copyOf(models);
            if (models.isEmpty()) {
                throw new IllegalArgumentException("tenant " + id + ": 'models' must name at least one answer "
                        + "model (leave it out to allow every model)");
            }
            if (answerModel != null && !models.contains(answerModel)) {
                throw new IllegalArgumentException("tenant " + id + ": its answerModel '" + answerModel
                        + "' is not one of its models " + models);
            }
        }
    }

    /** A tenant with the default limits. */
    public static Tenant withDefaults(String id) {
        return new Tenant(id, 4000, 5, 20, 1024, 4096);
    }

    /** The same tenant held to {@code limits}. */
    public Tenant withLimits(Limits limits) {
        return new Tenant(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, pii,
                limits, injection, tier, residency, responseCache);
    }

    /** The same tenant with {@code policy} for flagged text. */
    public Tenant withInjection(InjectionPolicy policy) {
        return new Tenant(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, pii,
                limits, policy, tier, residency, responseCache);
    }

    /** The same tenant in {@code tier} with {@code residency} (null: none). */
    public Tenant withPlacement(String tier, String residency) {
        return new Tenant(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, pii,
                limits, injection, tier, residency, responseCache);
    }

    /** The same tenant with its answers cached by {@code policy} (null: never). */
    public Tenant withResponseCache(ResponseCachePolicy policy) {
        return new Tenant(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models, pii,
                limits, injection, tier, residency, policy);
    }

    /** The same tenant with {@code limit} as its rate limit (null: unlimited). */
    public Tenant withRateLimit(RateLimit limit) {
        return withLimits(limits.withRate(limit));
    }

    /** The same tenant with {@code limit} as the rate limit of each of its API keys (null: unlimited). */
    public Tenant withKeyRateLimit(RateLimit limit) {
        return withLimits(limits.withKeyRate(limit));
    }

    /** The tenant's rate limit, or null. */
    public RateLimit rateLimit() {
        return limits.rate();
    }

    /** The rate limit of each of the tenant's API keys, or null. */
    public RateLimit keyRateLimit() {
        return limits.keyRate();
    }

    /** Whether the tenant may use {@code model}. */
    public boolean allows(String model) {
        return models == null || models.contains(model);
    }

    /** Of {@code offered} (the job's models, in their order), those the tenant may use. */
    public List<String> allowed(Collection<String> offered) {
        return offered.stream().filter(this::allows).toList();
    }
}
