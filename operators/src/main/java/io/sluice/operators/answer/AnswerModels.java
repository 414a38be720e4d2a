package io.sluice.operators.answer;

import io.sluice.model.chat.GenerationParams;
import io.sluice.schemas.ChatRequest;

import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The answer models a serving job offers, by name. Each is a {@link ModelProfile} — {@value #EXTRACTIVE}
 * (local, deterministic, always there), the generative models of {@code sluice.answer.*} and those
 * of a routing policy file — or a route: a list of {@link RouteRule}s that picks a profile per turn
 * ({@link io.sluice.operators.routing.Router}). Validation resolves each request's model name against
 * these names (the request's choice, else its tenant's, else {@link #defaultModel}); the conversation
 * stage routes it to a profile, opens that and samples with {@link #params}.
 */
public final class AnswerModels implements Serializable {

    private static final long serialVersionUID = 2L;

    public static final String EXTRACTIVE = ChatRequest.DEFAULT_ANSWER_MODEL;

    private final String defaultModel;
    private final TreeMap<String, ModelProfile> profiles;
    private final TreeMap<String, ArrayList<RouteRule>> routes;
    private final int policyVersion;
    private final GenerationParams sampling;
    /** Other versions of the policy in force at other event times; null when this is the only one. */
    private final Versions versions;

    /**
     * The versions of a routing policy, each in force from its event time on: the models a turn
     * sees are those of the newest version in force at its event time ({@link #at}).
     */
    public interface Versions extends Serializable {
        /** The models in force at {@code eventTime}. */
        AnswerModels at(long eventTime);

        /** Every version known now, oldest first. */
        List<AnswerModels> known();

        /** These versions, each mapped by {@code f}, no longer picking up new ones. */
        Versions map(java.util.function.UnaryOperator<AnswerModels> f);
    }

    /**
     * @param defaultModel the model of requests and tenants that name none
     * @param generative generative models by name (profiles of version 0)
     * @param sampling sampling parameters of generative models without their own; the seed is replaced per request
     */
    public AnswerModels(String defaultModel, Map<String, ChatModelSpec> generative, GenerationParams sampling) {
        this(defaultModel, configured(generative), Map.of(), 0, sampling);
    }

    private AnswerModels(String defaultModel, Map<String, ModelProfile> profiles, Map<String, List<RouteRule>> routes,
            int policyVersion, GenerationParams sampling) {
        this(defaultModel, profiles, routes, policyVersion, sampling, null);
    }

    private AnswerModels(String defaultModel, Map<String, ModelProfile> profiles, Map<String, List<RouteRule>> routes,
            int policyVersion, GenerationParams sampling, Versions versions) {
        this.versions = versions;
        this.profiles = new TreeMap<>(profiles);
        this.routes = new TreeMap<>();
        routes.forEach((name, rules) -> this.routes.put(name, new ArrayList<>(rules)));
        this.defaultModel = defaultModel;
        this.policyVersion = policyVersion;
        this.sampling = sampling;
        check();
    }

    private static Map<String, ModelProfile> configured(Map<String, ChatModelSpec> generative) {
        TreeMap<String, ModelProfile> profiles = new TreeMap<>();
        if (generative.containsKey(EXTRACTIVE)) {
            throw new IllegalArgumentException("'" + EXTRACTIVE + "' is the built-in extractive answerer; "
                    + "give the generative model another name");
        }
        generative.forEach((name, spec) -> profiles.put(name, ModelProfile.configured(name, spec)));
        profiles.put(EXTRACTIVE, ModelProfile.configured(EXTRACTIVE, null));
        return profiles;
    }

    /** Every name resolves, fallbacks keep residency, routes end in a rule that matches every turn. */
    private void check() {
        for (String route : routes.keySet()) {
            if (profiles.containsKey(route)) {
                throw new IllegalArgumentException("'" + route + "' names both a profile and a route");
            }
            List<RouteRule> rules = routes.get(route);
            if (rules.isEmpty() || !rules.get(rules.size() - 1).catchAll()) {
                throw new IllegalArgumentException("route " + route + " must end with a rule without conditions, "
                        + "so that every turn finds one");
            }
            for (RouteRule rule : rules) {
                for (String p : rule.profiles()) {
                    requireProfile(p, "rule " + rule.name() + " of route " + route);
                }
            }
        }
        for (ModelProfile p : profiles.values()) {
            for (String f : p.fallbacks()) {
                ModelProfile fallback = requireProfile(f, "the fallbacks of profile " + p.name());
                // Data a tenant may only send to one region must not reach another by failing over.
                if (fallback.remote() && !java.util.Objects.equals(fallback.residency(), p.residency())) {
                    throw new IllegalArgumentException("profile " + f + " (residency " + fallback.residency()
                            + ") may not stand in for " + p.name() + " (residency " + p.residency() + ")");
                }
            }
        }
        if (!contains(defaultModel)) {
            throw new IllegalArgumentException("default answer model '" + defaultModel + "' is not configured; "
                    + "configured: " + names());
        }
    }

    private ModelProfile requireProfile(String name, String where) {
        ModelProfile p = profiles.get(name);
        if (p == null) {
            throw new IllegalArgumentException(where + " names '" + name + "', which is not a profile; profiles: "
                    + profiles.keySet());
        }
        return p;
    }

    /** Only the extractive answerer. */
    public static AnswerModels extractiveOnly() {
        return new AnswerModels(EXTRACTIVE, Map.of(), GenerationParams.greedy(512, 0));
    }

    /**
     * These models with a routing policy's profiles and routes added, the policy of version
     * {@code policyVersion}; names must not clash with the configured ones.
     */
    public AnswerModels withPolicy(int policyVersion, List<ModelProfile> added, Map<String, List<RouteRule>> routes) {
        if (policyVersion < 1) {
            throw new IllegalArgumentException("a routing policy's version must be at least 1");
        }
        TreeMap<String, ModelProfile> all = new TreeMap<>(profiles);
        for (ModelProfile p : added) {
            if (all.put(p.name(), p) != null) {
                throw new IllegalArgumentException("profile '" + p.name() + "' is defined twice (the routing "
                        + "policy and sluice.answer.* or the built-in extractive answerer)");
            }
        }
        return new AnswerModels(defaultModel, all, routes, policyVersion, sampling);
    }

    /** These models with {@code name} (a profile or a route) answering requests and tenants that name none. */
    public AnswerModels withDefaultModel(String name) {
        return new AnswerModels(name, profiles, new TreeMap<String, List<RouteRule>>(routes), policyVersion, sampling);
    }

    /**
     * These models (the newest version known at the start), with {@code versions} answering for
     * every event time from now on.
     */
    public AnswerModels withVersions(Versions versions) {
        return new AnswerModels(defaultModel, profiles, new TreeMap<String, List<RouteRule>>(routes), policyVersion,
                sampling, versions);
    }

    /** The models in force at {@code eventTime}: these, or the version of the policy in force then. */
    public AnswerModels at(long eventTime) {
        return versions == null ? this : versions.at(eventTime);
    }

    /**
     * Whether other versions may be in force at other event times: with a routing policy directory,
     * which a job reads again while it runs, so two stages may not yet know the same versions.
     */
    public boolean versioned() {
        return versions != null;
    }

    /** Every version known now, oldest first (just these models without versions). */
    public List<AnswerModels> known() {
        return versions == null ? List.of(this) : versions.known();
    }

    /**
     * These models, and every version, with each generative profile opened by {@code f} of its spec
     * instead (replay answers remote models from the journal).
     */
    public AnswerModels withSpecs(java.util.function.UnaryOperator<ChatModelSpec> f) {
        TreeMap<String, ModelProfile> mapped = new TreeMap<>();
        profiles.forEach((name, p) -> mapped.put(name, p.generative() ? p.withSpec(f.apply(p.spec())) : p));
        return new AnswerModels(defaultModel, mapped, new TreeMap<String, List<RouteRule>>(routes), policyVersion,
                sampling, versions == null ? null : versions.map(m -> m.withSpecs(f)));
    }

    public String defaultModel() {
        return defaultModel;
    }

    /** The routing policy's version; 0 without one. */
    public int policyVersion() {
        return policyVersion;
    }

    /** Every name a request may give: profiles and routes. */
    public SortedSet<String> names() {
        TreeSet<String> names = new TreeSet<>(profiles.keySet());
        names.addAll(routes.keySet());
        return names;
    }

    public boolean contains(String name) {
        return profiles.containsKey(name) || routes.containsKey(name);
    }

    public Optional<ModelProfile> profile(String name) {
        return Optional.ofNullable(profiles.get(name));
    }

    /** The rules of the route {@code name}, or empty if it is not a route. */
    public List<RouteRule> route(String name) {
        List<RouteRule> rules = routes.get(name);
        return rules == null ? List.of() : List.copyOf(rules);
    }

    /** The generative model of profile {@code name}, or empty for the extractive answerer. */
    public Optional<ChatModelSpec> generative(String name) {
        ModelProfile p = profiles.get(name);
        if (p == null) {
            throw new IllegalArgumentException("answer model '" + name + "' is not a profile; profiles: "
                    + profiles.keySet());
        }
        return Optional.ofNullable(p.spec());
    }

    /** The generative models by profile name. */
    public Map<String, ChatModelSpec> generativeModels() {
        TreeMap<String, ChatModelSpec> specs = new TreeMap<>();
        profiles.forEach((name, p) -> {
            if (p.generative()) {
                specs.put(name, p.spec());
            }
        });
        return java.util.Collections.unmodifiableMap(specs);
    }

    /**
     * Every profile that may answer a request naming {@code name}, in the order routing considers
     * them: for a profile itself and its fallbacks; for a route, the profiles of its rules and their
     * fallbacks.
     */
    public List<String> reachable(String name) {
        List<String> start = new ArrayList<>();
        if (routes.containsKey(name)) {
            routes.get(name).forEach(r -> start.addAll(r.profiles()));
        } else {
            start.add(name);
        }
        return chain(start);
    }

    /**
     * {@code primaries} followed by their fallbacks, breadth first, each profile once: the order in
     * which profiles stand in for one another.
     */
    public List<String> chain(List<String> primaries) {
        LinkedHashSet<String> chain = new LinkedHashSet<>();
        Deque<String> next = new ArrayDeque<>(primaries);
        while (!next.isEmpty()) {
            String p = next.pollFirst();
            if (chain.add(p) && profiles.containsKey(p)) {
                next.addAll(profiles.get(p).fallbacks());
            }
        }
        return List.copyOf(chain);
    }

    /** Whether a request naming {@code name} may be answered by a generative model (and so holds token budget). */
    public boolean mayGenerate(String name) {
        return contains(name) && reachable(name).stream().anyMatch(p -> profiles.get(p).generative());
    }

    /**
     * The most tokens an answer to a request naming {@code name} may take: the largest
     * {@code maxTokens} of the generative profiles that may answer it (0 if none).
     */
    public int maxTokens(String name) {
        return reachable(name).stream().map(profiles::get).filter(ModelProfile::generative)
                .mapToInt(p -> sampling(p).maxTokens()).max().orElse(0);
    }

    /** The sampling parameters of profile {@code profile} for {@code requestId}: its own or the job's, seeded from the id. */
    public GenerationParams params(String profile, String requestId) {
        return sampling(requireProfile(profile, "a turn")).withSeed(GenerationParams.seedFor(requestId));
    }

    private GenerationParams sampling(ModelProfile p) {
        return p.sampling() != null ? p.sampling() : sampling;
    }
}
