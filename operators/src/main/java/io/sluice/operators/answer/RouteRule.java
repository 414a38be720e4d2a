package io.sluice.operators.answer;

import java.io.Serializable;
import java.util.List;

/**
 * One rule of a route: when a turn matches it — its tenant's tier is one of {@code tenantTiers},
 * the intent of its message one of {@code intents} (empty lists match anything), its message at
 * least {@code minMessageChars} and at most {@code maxMessageChars} characters long (0: no bound)
 * — the turn is answered by the first of {@code profiles} that can take it, then their fallbacks.
 */
public record RouteRule(String name, List<String> tenantTiers, List<String> intents, int minMessageChars,
        int maxMessageChars, List<String> profiles) implements Serializable {

    private static final long serialVersionUID = 1L;

    public RouteRule {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a routing rule needs a name");
        }
        tenantTiers = tenantTiers == null ? List.of() : List.copyOf(tenantTiers);
        intents = intents == null ? List.of() : List.copyOf(intents);
        profiles = profiles == null ? List.of() : List.copyOf(profiles);
        if (profiles.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " names no profile");
        }
        if (minMessageChars < 0 || maxMessageChars < 0 || (maxMessageChars > 0 && maxMessageChars < minMessageChars)) {
            throw new IllegalArgumentException("rule " + name + ": message bounds must be non-negative, "
                    + "maxMessageChars at least minMessageChars");
        }
    }

    /** Whether it matches every turn (a route's last rule must). */
    public boolean catchAll() {
        return tenantTiers.isEmpty() && intents.isEmpty() && minMessageChars == 0 && maxMessageChars == 0;
    }

    public boolean matches(String tenantTier, String intent, int messageChars) {
        return (tenantTiers.isEmpty() || tenantTiers.contains(tenantTier))
                && (intents.isEmpty() || intents.contains(intent))
                && messageChars >= minMessageChars
                && (maxMessageChars == 0 || messageChars <= maxMessageChars);
    }
}
