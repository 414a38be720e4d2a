package io.sluice.operators.answer;

import io.sluice.model.chat.GenerationParams;

import java.io.Serializable;
import java.util.List;

/**
 * A named, versioned answer model: how to open it ({@code spec}; null for the built-in extractive
 * answerer), its sampling defaults ({@code sampling}; null: the job's, {@code sluice.answer.*}), its
 * context window in tokens ({@code contextWindow}; 0: not checked), its tier (a label routing rules
 * and fallbacks speak of), where its backend keeps the data it is sent ({@code residency}; null for
 * in-process models, whose data never leaves the job, and for remote ones nobody tagged), what it is
 * good at ({@code capabilities}, informative), and the profiles that may stand in for it, in order
 * ({@code fallbacks}).
 *
 * <p>Each answer model of {@code sluice.answer.*} is a profile of version 0 without fallbacks; a
 * routing policy file adds profiles of its own ({@link io.sluice.operators.routing.RoutingPolicyFile}).
 */
public record ModelProfile(String name, int version, ChatModelSpec spec, GenerationParams sampling,
        int contextWindow, String tier, String residency, List<String> capabilities, List<String> fallbacks)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public ModelProfile {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a model profile needs a name");
        }
        if (version < 0 || contextWindow < 0) {
            throw new IllegalArgumentException("profile " + name + ": version and contextWindow must not be negative");
        }
        capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
        fallbacks = fallbacks == null ? List.of() : List.copyOf(fallbacks);
    }

    /** A model configured under {@code sluice.answer.*}: version 0, the job's sampling, no fallbacks. */
    public static ModelProfile configured(String name, ChatModelSpec spec) {
        return new ModelProfile(name, 0, spec, null, 0, null, null, List.of(), List.of());
    }

    /** Whether it generates (as opposed to the extractive answerer). */
    public boolean generative() {
        return spec != null;
    }

    /**
     * Whether its data leaves the job: a generative model opened from a remote backend. In-process
     * models (the extractive answerer, ONNX decoders) keep everything in the job's own process.
     */
    public boolean remote() {
        return spec != null && spec.remote();
    }

    /** The same profile opened by {@code other} (replay answers remote models from a journal). */
    public ModelProfile withSpec(ChatModelSpec other) {
        return new ModelProfile(name, version, other, sampling, contextWindow, tier, residency, capabilities, fallbacks);
    }
}
