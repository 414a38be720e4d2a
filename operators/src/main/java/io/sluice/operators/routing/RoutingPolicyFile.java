package io.sluice.operators.routing;

import io.sluice.model.RuntimeOptions;
import io.sluice.model.chat.CircuitBreaker;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.OpenAiBackendConfig;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.ChatModelSpec;
import io.sluice.operators.answer.ModelProfile;
import io.sluice.operators.answer.OnnxDecoderSpec;
import io.sluice.operators.answer.OpenAiChatModelSpec;
import io.sluice.operators.answer.RouteRule;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;

import org.apache.flink.util.TimeUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a routing policy file ({@code sluice.routing.policy}, or each file of a directory of versions): a version, model profiles and
 * routes.
 *
 * <pre>{@code
 * {"version": 3, "effectiveAt": "2026-12-02T15:00:00Z",
 *  "profiles": [
 *    {"name": "small", "version": 2, "backend": "onnx", "modelDir": "decoder", "contextWindow": 256,
 *     "tier": "economy", "sampling": {"temperature": 0, "topP": 1, "maxTokens": 48},
 *     "fallbacks": ["extractive"]},
 *    {"name": "large", "version": 5, "backend": "openai", "baseUrl": "http://vllm:8000/v1",
 *     "model": "llama-3.1-8b", "apiKeyFile": "/run/secrets/vllm", "contextWindow": 8192,
 *     "tier": "premium", "residency": "eu", "capabilities": ["long-context"],
 *     "breaker": {"failures": 10, "window": "60 s", "coolDown": "60 s"},
 *     "fallbacks": ["small", "extractive"]}],
 *  "routes": {
 *    "auto": [
 *      {"rule": "premium-analysis", "tenantTiers": ["gold"], "intents": ["analysis", "code"],
 *       "profiles": ["large"]},
 *      {"rule": "greetings", "intents": ["greeting"], "profiles": ["extractive"]},
 *      {"rule": "bulk", "priorities": ["bulk"], "profiles": ["small"]},
 *      {"rule": "low-budget", "maxBudgetLeftPercent": 10, "profiles": ["small"]},
 *      {"rule": "default", "profiles": ["small"]}]}}
 * }</pre>
 *
 * Backends: {@code openai} (any OpenAI-compatible server: {@code baseUrl}, {@code model},
 * {@code apiKeyFile}, {@code connectTimeout}, {@code readTimeout}, {@code totalTimeout},
 * {@code maxRetries}, {@code breaker}; defaults as {@link OpenAiBackendConfig#of} and
 * {@link CircuitBreaker.Settings#DEFAULT}) and {@code onnx} (an in-process decoder: {@code modelDir},
 * relative to the file, {@code intraOpThreads}, {@code executionProvider}, {@code maxBatchSize}).
 * The built-in {@value AnswerModels#EXTRACTIVE} answerer and the models of {@code sluice.answer.*}
 * are profiles too and may be named in rules and fallbacks. Unknown fields are refused, so that a
 * misspelt key does not silently route elsewhere. A rule matches on {@code tenantTiers},
 * {@code intents}, {@code priorities} ({@code interactive}, {@code bulk}), {@code minMessageChars},
 * {@code maxMessageChars} and {@code maxBudgetLeftPercent} (see {@link RouteRule}). {@code effectiveAt} matters for versions in a
 * directory ({@link PolicyDirectory}).
 */
public final class RoutingPolicyFile {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private static final Set<String> TOP = Set.of("version", "effectiveAt", "profiles", "routes");
    private static final Set<String> PROFILE = Set.of("name", "version", "backend", "contextWindow", "tier",
            "residency", "capabilities", "sampling", "fallbacks",
            "baseUrl", "model", "apiKeyFile", "connectTimeout", "readTimeout", "totalTimeout", "maxRetries", "breaker",
            "modelDir", "intraOpThreads", "executionProvider", "maxBatchSize");
    private static final Set<String> SAMPLING = Set.of("temperature", "topP", "maxTokens");
    private static final Set<String> BREAKER = Set.of("failures", "window", "coolDown");
    private static final Set<String> RULE = Set.of("rule", "tenantTiers", "intents", "priorities", "minMessageChars",
            "maxMessageChars", "maxBudgetLeftPercent", "profiles");

    private RoutingPolicyFile() {}

    /** A version of the policy: in force from {@code effectiveAt} (event time, epoch ms) on. */
    public record Version(int version, long effectiveAt, AnswerModels models) implements java.io.Serializable {}

    /** {@code models} with the profiles and routes of the policy in {@code file}. */
    public static AnswerModels load(Path file, AnswerModels models) throws IOException {
        return loadVersion(file, models).models();
    }

    /**
     * The policy in {@code file} as a version: {@code models} with its profiles and routes, in force
     * from its {@code effectiveAt} (an ISO-8601 instant; without one, from the start).
     */
    public static Version loadVersion(Path file, AnswerModels models) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("Routing policy file not found: " + file);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("Routing policy file " + file + " is not valid JSON: " + e.getMessage(), e);
        }
        try {
            AnswerModels parsed = parse(root, file.toAbsolutePath().getParent(), models);
            return new Version(parsed.policyVersion(), effectiveAt(root), parsed);
        } catch (IllegalArgumentException e) {
            throw new IOException("Routing policy file " + file + ": " + e.getMessage(), e);
        }
    }

    private static long effectiveAt(JsonNode root) {
        String at = text(root, "effectiveAt", null);
        if (at == null) {
            return Long.MIN_VALUE;
        }
        try {
            return java.time.Instant.parse(at).toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException("'effectiveAt' must be an ISO-8601 instant such as "
                    + "\"2026-12-02T15:00:00Z\"", e);
        }
    }

    /** {@code models} with the policy {@code root}; relative model directories resolve against {@code base}. */
    public static AnswerModels parse(JsonNode root, Path base, AnswerModels models) {
        object(root, "the policy", TOP);
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber() || !version.canConvertToInt() || version.intValue() < 1) {
            throw new IllegalArgumentException("'version' must be a whole number of at least 1");
        }
        List<ModelProfile> profiles = new ArrayList<>();
        for (JsonNode p : array(root.get("profiles"), "profiles")) {
            profiles.add(profile(p, base));
        }
        Map<String, List<RouteRule>> routes = new LinkedHashMap<>();
        JsonNode routesNode = root.get("routes");
        if (routesNode != null && !routesNode.isNull()) {
            if (!routesNode.isObject()) {
                throw new IllegalArgumentException("'routes' must map route names to lists of rules");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = routesNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                List<RouteRule> rules = new ArrayList<>();
                for (JsonNode r : array(e.getValue(), "routes." + e.getKey())) {
                    rules.add(rule(r, e.getKey()));
                }
                routes.put(e.getKey(), rules);
            }
        }
        return models.withPolicy(version.intValue(), profiles, routes);
    }

    private static ModelProfile profile(JsonNode p, Path base) {
        String name = text(p, "name", null);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("every profile needs a 'name'");
        }
        String where = "profile " + name;
        object(p, where, PROFILE);
        String backend = text(p, "backend", null);
        ChatModelSpec spec = switch (backend == null ? "" : backend) {
            case "openai" -> new OpenAiChatModelSpec(new OpenAiBackendConfig(required(p, "baseUrl", where),
                    required(p, "model", where), null,
                    duration(p, "connectTimeout", Duration.ofSeconds(10)), duration(p, "readTimeout", Duration.ofSeconds(60)),
                    duration(p, "totalTimeout", Duration.ofSeconds(120)), whole(p, "maxRetries", 3)),
                    text(p, "apiKeyFile", ""), breaker(p.get("breaker"), where));
            case "onnx" -> {
                Path dir = base.resolve(required(p, "modelDir", where));
                if (!Files.isDirectory(dir)) {
                    throw new IllegalArgumentException(where + ": modelDir " + dir + " is not a directory");
                }
                yield new OnnxDecoderSpec(dir.toString(), new RuntimeOptions(whole(p, "intraOpThreads", 1), 1,
                        provider(text(p, "executionProvider", "CPU"), where)),
                        whole(p, "maxBatchSize", 8));
            }
            default -> throw new IllegalArgumentException(where + ": 'backend' must be openai or onnx (the "
                    + "extractive answerer is built in as '" + AnswerModels.EXTRACTIVE + "')");
        };
        try {
            return new ModelProfile(name, whole(p, "version", 1), spec, sampling(p.get("sampling"), where),
                    whole(p, "contextWindow", 0), text(p, "tier", null), text(p, "residency", null),
                    names(p.get("capabilities"), where + ".capabilities"), names(p.get("fallbacks"), where + ".fallbacks"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static RouteRule rule(JsonNode r, String route) {
        String name = text(r, "rule", null);
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("every rule of route " + route + " needs a 'rule' name");
        }
        String where = "rule " + name + " of route " + route;
        object(r, where, RULE);
        List<String> intents = names(r.get("intents"), where + ".intents");
        for (String intent : intents) {
            if (!IntentClassifier.INTENTS.contains(intent)) {
                throw new IllegalArgumentException(where + ": unknown intent '" + intent + "'; intents: "
                        + IntentClassifier.INTENTS);
            }
        }
        try {
            return new RouteRule(name, names(r.get("tenantTiers"), where + ".tenantTiers"), intents,
                    whole(r, "minMessageChars", 0), whole(r, "maxMessageChars", 0),
                    names(r.get("profiles"), where + ".profiles"), names(r.get("priorities"), where + ".priorities"),
                    whole(r, "maxBudgetLeftPercent", -1));
        } catch (IllegalArgumentException e) {
            // The rule names itself; say which route it is of.
            throw new IllegalArgumentException("route " + route + ", " + e.getMessage(), e);
        }
    }

    private static RuntimeOptions.ExecutionProvider provider(String name, String where) {
        try {
            return RuntimeOptions.ExecutionProvider.valueOf(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": 'executionProvider' must be one of "
                    + java.util.Arrays.toString(RuntimeOptions.ExecutionProvider.values()), e);
        }
    }

    private static GenerationParams sampling(JsonNode s, String where) {
        if (s == null || s.isNull()) {
            return null;
        }
        object(s, where + ".sampling", SAMPLING);
        return new GenerationParams(number(s, "temperature", 0), number(s, "topP", 1), whole(s, "maxTokens", 256), 0L,
                List.of());
    }

    private static CircuitBreaker.Settings breaker(JsonNode b, String where) {
        if (b == null || b.isNull()) {
            return CircuitBreaker.Settings.DEFAULT;
        }
        object(b, where + ".breaker", BREAKER);
        CircuitBreaker.Settings d = CircuitBreaker.Settings.DEFAULT;
        return new CircuitBreaker.Settings(whole(b, "failures", d.failures()), duration(b, "window", d.window()),
                duration(b, "coolDown", d.coolDown()));
    }

    private static void object(JsonNode node, String where, Set<String> fields) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + " must be a JSON object");
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!fields.contains(f)) {
                throw new IllegalArgumentException(where + ": unknown field '" + f + "'; known: "
                        + new java.util.TreeSet<>(fields));
            }
        });
    }

    private static List<JsonNode> array(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("'" + field + "' must be an array");
        }
        List<JsonNode> items = new ArrayList<>();
        node.forEach(items::add);
        return items;
    }

    private static List<String> names(JsonNode node, String field) {
        List<String> names = new ArrayList<>();
        for (JsonNode n : array(node, field)) {
            if (!n.isTextual() || n.asText().isBlank()) {
                throw new IllegalArgumentException("'" + field + "' must be an array of names");
            }
            names.add(n.asText());
        }
        return names;
    }

    private static String text(JsonNode node, String field, String otherwise) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be text");
        }
        return v.asText();
    }

    private static String required(JsonNode node, String field, String where) {
        String v = text(node, field, null);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(where + " needs '" + field + "'");
        }
        return v;
    }

    private static int whole(JsonNode node, String field, int otherwise) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < 0) {
            throw new IllegalArgumentException("'" + field + "' must be a whole number, not negative");
        }
        return v.intValue();
    }

    private static double number(JsonNode node, String field, double otherwise) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return otherwise;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException("'" + field + "' must be a number");
        }
        return v.doubleValue();
    }

    private static Duration duration(JsonNode node, String field, Duration otherwise) {
        String v = text(node, field, null);
        if (v == null) {
            return otherwise;
        }
        try {
            return TimeUtils.parseDuration(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + field + "' must be a duration such as \"30 s\": " + e.getMessage(), e);
        }
    }
}
