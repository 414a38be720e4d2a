package io.sluice.operators.answer;

import io.sluice.schemas.ChatRequest;

import java.io.Serializable;
import java.util.List;

/**
 * One rule of a route: when a turn matches it — its tenant's tier is one of {@code tenantTiers},
 * the intent of its message one of {@code intents}, its priority one of {@code priorities} (empty
 * lists match anything), its message at least {@code minMessageChars} and at most
 * {@code maxMessageChars} characters long (0: no bound), and its tenant has at most
 * {@code maxBudgetLeftPercent} of its tightest token budget left ({@link ChatRequest#budgetLeft};
 * -1: no bound; a turn that counts toward no budget never matches a bound) — the turn is answered by
 * the first of {@code profiles} that can take it, then their fallbacks.
 */
public record RouteRule(String name, List<String> tenantTiers, List<String> intents, int minMessageChars,
        int maxMessageChars, List<String> profiles, List<String> priorities, int maxBudgetLeftPercent)
        implements Serializable {

    private static final long serialVersionUID = 2L;

    public RouteRule {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a routing rule needs a name");
        }
        tenantTiers = tenantTiers == null ? List.of() : List.copyOf(tenantTiers);
        intents = intents == null ? List.of() : List.copyOf(intents);
        profiles = profiles == null ? List.of() : List.copyOf(profiles);
        priorities = priorities == null ? List.of() : List.copyOf(priorities);
        if (profiles.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " names no profile");
        }
        if (minMessageChars < 0 || maxMessageChars < 0 || (maxMessageChars > 0 && maxMessageChars < minMessageChars)) {
            throw new IllegalArgumentException("rule " + name + ": message bounds must be non-negative, "
                    + "maxMessageChars at least minMessageChars");
        }
        for (String p : priorities) {
            if (!ChatRequest.PRIORITIES.contains(p)) {
                throw new IllegalArgumentException("rule " + name + ": priorities must be of " + ChatRequest.PRIORITIES
                        + ", not '" + p + "'");
            }
        }
        if (maxBudgetLeftPercent < -1 || maxBudgetLeftPercent > 100) {
            throw new IllegalArgumentException("rule " + name + ": maxBudgetLeftPercent must be a percentage (0-100)");
        }
    }

    /** A rule on tier, intent and length alone. */
    public RouteRule(String name, List<String> tenantTiers, List<String> intents, int minMessageChars,
            int maxMessageChars, List<String> profiles) {
        this(name, tenantTiers, intents, minMessageChars, maxMessageChars, profiles, List.of(), -1);
    }

    /** Whether it matches every turn (a route's last rule must). */
    public boolean catchAll() {
        return tenantTiers.isEmpty() && intents.isEmpty() && priorities.isEmpty() && minMessageChars == 0
                && maxMessageChars == 0 && maxBudgetLeftPercent < 0;
    }

    /** Whether {@code request}, of a tenant of {@code tenantTier}, whose message is of {@code intent}, matches. */
    public boolean matches(ChatRequest request, String tenantTier, String intent) {
        int messageChars = request.message().length();
        return (tenantTiers.isEmpty() || tenantTiers.contains(tenantTier))
                && (intents.isEmpty() || intents.contains(intent))
                && (priorities.isEmpty() || priorities.contains(request.priority()))
                && messageChars >= minMessageChars
                && (maxMessageChars == 0 || messageChars <= maxMessageChars)
                && (maxBudgetLeftPercent < 0
                        || request.budgetLeft() >= 0 && request.budgetLeft() <= maxBudgetLeftPercent);
    }
}
