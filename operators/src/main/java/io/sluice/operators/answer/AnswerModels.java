package io.sluice.operators.answer;

import io.sluice.model.chat.GenerationParams;
import io.sluice.schemas.ChatRequest;

import java.io.Serializable;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The answer models a serving job offers, by name: {@value #EXTRACTIVE} (local, deterministic,
 * always there) and any configured generative models. Validation resolves each request's model
 * name against this set (the request's choice, else its tenant's, else {@link #defaultModel});
 * the conversation stage opens the models and samples with {@link #params}.
 */
public final class AnswerModels implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String EXTRACTIVE = ChatRequest.DEFAULT_ANSWER_MODEL;

    private final String defaultModel;
    private final TreeMap<String, ChatModelSpec> generative;
    private final GenerationParams sampling;

    /**
     * @param defaultModel the model of requests and tenants that name none
     * @param generative generative models by name
     * @param sampling sampling parameters of generative models; the seed is replaced per request
     */
    public AnswerModels(String defaultModel, Map<String, ChatModelSpec> generative, GenerationParams sampling) {
        this.generative = new TreeMap<>(generative);
        if (this.generative.containsKey(EXTRACTIVE)) {
            throw new IllegalArgumentException("'" + EXTRACTIVE + "' is the built-in extractive answerer; "
                    + "give the generative model another name");
        }
        this.defaultModel = defaultModel;
        this.sampling = sampling;
        if (!contains(defaultModel)) {
            throw new IllegalArgumentException("default answer model '" + defaultModel + "' is not configured; "
                    + "configured: " + names());
        }
    }

    /** Only the extractive answerer. */
    public static AnswerModels extractiveOnly() {
        return new AnswerModels(EXTRACTIVE, Map.of(), GenerationParams.greedy(512, 0));
    }

    public String defaultModel() {
        return defaultModel;
    }

    public SortedSet<String> names() {
        TreeSet<String> names = new TreeSet<>(generative.keySet());
        names.add(EXTRACTIVE);
        return names;
    }

    public boolean contains(String name) {
        return EXTRACTIVE.equals(name) || generative.containsKey(name);
    }

    /** The generative model of that name, or empty for the extractive answerer. */
    public Optional<ChatModelSpec> generative(String name) {
        if (!contains(name)) {
            throw new IllegalArgumentException("answer model '" + name + "' is not configured; configured: " + names());
        }
        return Optional.ofNullable(generative.get(name));
    }

    public Map<String, ChatModelSpec> generativeModels() {
        return java.util.Collections.unmodifiableMap(generative);
    }

    /** These models with {@code name} opened by {@code spec} instead (replay answers remote models from a journal). */
    public AnswerModels replacing(String name, ChatModelSpec spec) {
        if (!generative.containsKey(name)) {
            throw new IllegalArgumentException("no generative answer model '" + name + "' to replace");
        }
        Map<String, ChatModelSpec> models = new TreeMap<>(generative);
        models.put(name, spec);
        return new AnswerModels(defaultModel, models, sampling);
    }

    /** The sampling parameters of {@code requestId}: the configured ones, seeded from the id. */
    public GenerationParams params(String requestId) {
        return sampling.withSeed(GenerationParams.seedFor(requestId));
    }
}
