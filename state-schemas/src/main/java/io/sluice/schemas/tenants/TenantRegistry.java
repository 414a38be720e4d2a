package io.sluice.schemas.tenants;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The configured tenants. Loaded from a JSON file:
 *
 * <pre>{@code
 * {"tenants": [{"id": "acme", "maxMessageChars": 4000, "topK": 5, "maxTopK": 20,
 *               "contextTokens": 1024, "maxContextTokens": 4096,
 *               "answerModel": "extractive", "models": ["extractive", "remote"], "pii": "redact",
 *               "rateLimit": {"requestsPerMinute": 300, "burst": 30},
 *               "keyRateLimit": {"requestsPerMinute": 100, "burst": 20},
 *               "tokenBudget": {"tokensPerDay": 2000000, "tokensPerMonth": 40000000},
 *               "keyTokenBudget": {"tokensPerDay": 500000},
 *               "modelTokenBudgets": {"remote": {"tokensPerMonth": 10000000}}, "maxInFlight": 16,
 *               "promptInjection": "strip", "tier": "gold", "residency": "eu",
 *               "responseCache": {"ttl": "1 h", "sampled": false}}]}
 * }</pre>
 *
 * Every field but {@code id} is optional and falls back to {@link Tenant#withDefaults}; without
 * {@code models} the tenant may use every answer model; {@code pii} is redact (the default), reject or
 * allow ({@link PiiPolicy}); {@code promptInjection} is strip (the default), flag or reject
 * ({@link InjectionPolicy}); {@code tier} (default {@value Tenant#DEFAULT_TIER}) is what routing rules
 * match the tenant by, and {@code residency} keeps its turns on remote profiles of that residency; without {@code rateLimit} the tenant's requests are not limited, and a
 * {@code rateLimit} without {@code burst} allows a tenth of a minute's requests at once
 * ({@link RateLimit#of}); {@code keyRateLimit} (same shape) holds for each API key of the tenant.
 * Token budgets bound generative tokens per UTC day and month of the tenant, of each key and of
 * each answer model; {@code maxInFlight} the tenant's generations at once ({@link Limits}).
 * The serving job and the gateway read the same file.
 */
public final class TenantRegistry implements Serializable {

    private static final long serialVersionUID = 1L;

    private final TreeMap<String, TenantEntry> tenants = new TreeMap<>();

    public TenantRegistry(Collection<Tenant> tenants) {
        for (Tenant t : tenants) {
            if (this.tenants.put(t.id(), TenantEntry.of(t)) != null) {
                throw new IllegalArgumentException("tenant " + t.id() + " is configured twice");
            }
        }
    }

    public static TenantRegistry of(String... ids) {
        return new TenantRegistry(Arrays.stream(ids).map(Tenant::withDefaults).toList());
    }

    public Optional<Tenant> find(String id) {
        return Optional.ofNullable(tenants.get(id)).map(TenantEntry::toTenant);
    }

    public List<String> ids() {
        return List.copyOf(tenants.keySet());
    }

    public static TenantRegistry load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Tenants file not found: " + file);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("Tenants file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode list = root.path("tenants");
        if (!list.isArray() || list.isEmpty()) {
            throw new IOException("Tenants file " + file + " needs a non-empty \"tenants\" array");
        }
        List<Tenant> tenants = new ArrayList<>();
        for (JsonNode n : list) {
            try {
                Tenant d = Tenant.withDefaults(n.path("id").asText(""));
                tenants.add(new Tenant(
                        n.path("id").asText(null),
                        n.path("maxMessageChars").asInt(d.maxMessageChars()),
                        n.path("topK").asInt(d.topK()),
                        n.path("maxTopK").asInt(d.maxTopK()),
                        n.path("contextTokens").asInt(d.contextTokens()),
                        n.path("maxContextTokens").asInt(d.maxContextTokens()),
                        n.path("answerModel").asText(null),
                        models(n.get("models")),
                        n.hasNonNull("pii") ? PiiPolicy.parse(n.get("pii").asText()) : PiiPolicy.REDACT,
                        limits(n),
                        n.hasNonNull("promptInjection") ? InjectionPolicy.parse(n.get("promptInjection").asText())
                                : InjectionPolicy.STRIP,
                        text(n, "tier"), text(n, "residency"), responseCache(n.get("responseCache"))));
            } catch (IllegalArgumentException e) {
                throw new IOException("Tenants file " + file + ": " + e.getMessage(), e);
            }
        }
        return new TenantRegistry(tenants);
    }

    /**
     * The limits in {@code node}, written as in a tenant of the tenants file ({@code rateLimit},
     * {@code keyRateLimit}, {@code tokenBudget}, {@code keyTokenBudget}, {@code modelTokenBudgets},
     * {@code maxInFlight}; other fields are ignored); an {@link IllegalArgumentException} says what
     * is wrong.
     */
    public static Limits parseLimits(JsonNode node) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("limits must be a JSON object");
        }
        return limits(node);
    }

    private static Limits limits(JsonNode tenant) {
        JsonNode inFlight = tenant.get("maxInFlight");
        if (inFlight != null && !(wholeInt(inFlight) && inFlight.intValue() >= 0)) {
            throw new IllegalArgumentException("'maxInFlight' must be a whole number, 0 for unbounded");
        }
        JsonNode models = tenant.get("modelTokenBudgets");
        TreeMap<String, TokenBudget> modelBudgets = new TreeMap<>();
        if (models != null && !models.isNull()) {
            if (!models.isObject()) {
                throw new IllegalArgumentException("'modelTokenBudgets' must map answer model names to token budgets");
            }
            models.fields().forEachRemaining(e -> modelBudgets.put(e.getKey(),
                    tokenBudget("modelTokenBudgets." + e.getKey(), e.getValue())));
        }
        return new Limits(rateLimit("rateLimit", tenant.get("rateLimit")),
                rateLimit("keyRateLimit", tenant.get("keyRateLimit")),
                tokenBudget("tokenBudget", tenant.get("tokenBudget")),
                tokenBudget("keyTokenBudget", tenant.get("keyTokenBudget")),
                modelBudgets, inFlight == null ? 0 : inFlight.intValue());
    }

    private static TokenBudget tokenBudget(String field, JsonNode budget) {
        if (budget == null || budget.isNull()) {
            return null;
        }
        JsonNode day = budget.get("tokensPerDay");
        JsonNode month = budget.get("tokensPerMonth");
        if (!budget.isObject() || (day != null && !wholeLong(day)) || (month != null && !wholeLong(month))) {
            throw new IllegalArgumentException("'" + field + "' must be {\"tokensPerDay\": N, \"tokensPerMonth\": M} "
                    + "with whole numbers (either may be left out)");
        }
        try {
            return new TokenBudget(day == null ? 0 : day.longValue(), month == null ? 0 : month.longValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + field + "': " + e.getMessage(), e);
        }
    }

    private static RateLimit rateLimit(String field, JsonNode limit) {
        if (limit == null || limit.isNull()) {
            return null;
        }
        JsonNode rpm = limit.get("requestsPerMinute");
        JsonNode burst = limit.get("burst");
        if (!limit.isObject() || rpm == null || !wholeInt(rpm) || (burst != null && !wholeInt(burst))) {
            throw new IllegalArgumentException("'" + field + "' must be {\"requestsPerMinute\": N, \"burst\": M} "
                    + "with whole numbers (burst optional)");
        }
        return burst == null ? RateLimit.of(rpm.intValue()) : new RateLimit(rpm.intValue(), burst.intValue());
    }

    /** {@code "responseCache": {"ttl": "1 h", "sampled": false}} (both optional), or null when absent. */
    private static ResponseCachePolicy responseCache(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("'responseCache' must be {\"ttl\": \"1 h\", \"sampled\": false}");
        }
        java.time.Duration ttl = ResponseCachePolicy.DEFAULT_TTL;
        String text = text(node, "ttl");
        if (text != null) {
            try {
                ttl = org.apache.flink.util.TimeUtils.parseDuration(text);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'responseCache.ttl' must be a duration such as \"1 h\"", e);
            }
        }
        JsonNode sampled = node.get("sampled");
        if (sampled != null && !sampled.isBoolean()) {
            throw new IllegalArgumentException("'responseCache.sampled' must be true or false");
        }
        return new ResponseCachePolicy(ttl, sampled != null && sampled.asBoolean());
    }

    /** The text field {@code field}, or null when absent; anything but text is refused. */
    private static String text(JsonNode tenant, String field) {
        JsonNode v = tenant.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be text");
        }
        return v.asText();
    }

    /** A whole number that fits an int (1.5, "3" and 2^40 do not). */
    private static boolean wholeInt(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToInt();
    }

    /** A whole number that fits a long. */
    private static boolean wholeLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong();
    }

    private static List<String> models(JsonNode models) {
        if (models == null || models.isNull()) {
            return null;
        }
        if (!models.isArray()) {
            throw new IllegalArgumentException("'models' must be an array of answer model names");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode m : models) {
            if (!m.isTextual() || m.asText().isBlank()) {
                throw new IllegalArgumentException("'models' must be an array of answer model names");
            }
            names.add(m.asText());
        }
        return names;
    }

    /** Serializable form: records are not, and Flink ships the registry inside a function. */
    private record TenantEntry(String id, int maxMessageChars, int topK, int maxTopK,
            int contextTokens, int maxContextTokens, String answerModel, ArrayList<String> models, PiiPolicy pii,
            Limits limits, InjectionPolicy injection, String tier, String residency,
            ResponseCachePolicy responseCache) implements Serializable {
        static TenantEntry of(Tenant t) {
            return new TenantEntry(t.id(), t.maxMessageChars(), t.topK(), t.maxTopK(),
                    t.contextTokens(), t.maxContextTokens(), t.answerModel(),
                    t.models() == null ? null : new ArrayList<>(t.models()), t.pii(), t.limits(), t.injection(),
                    t.tier(), t.residency(), t.responseCache());
        }

        Tenant toTenant() {
            return new Tenant(id, maxMessageChars, topK, maxTopK, contextTokens, maxContextTokens, answerModel, models,
                    pii, limits, injection, tier, residency, responseCache);
        }
    }

    /** Every tenant, in id order. */
    public List<Tenant> all() {
        return tenants.values().stream().map(TenantEntry::toTenant).toList();
    }

    @Override
    public String toString() {
        return "TenantRegistry" + Map.copyOf(tenants).keySet();
    }
}
