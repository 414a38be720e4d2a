package io.sluice.schemas.tenants;

import java.util.Locale;

/**
 * What Sluice does with text its prompt-injection detector flags, per tenant ({@code promptInjection}
 * in the tenants file). Whatever the policy, the context holds every text as escaped data (prompt
 * v2), and the audit row records what was flagged: the families found in the message and the
 * sources flagged, never a verdict's text.
 */
public enum InjectionPolicy {
    /** Record only: the flagged message is answered and flagged sources stay in the context. */
    FLAG,
    /**
     * Leave flagged sources out of the context (the default); a flagged message is answered, held
     * as data by the prompt's structure, and recorded.
     */
    STRIP,
    /**
     * Refuse a flagged message or brought turn at validation ({@code PROMPT_INJECTION}); flagged
     * sources are left out as under {@link #STRIP} (the asker did not write them, and refusing would
     * let one planted document deny every asker an answer).
     */
    REJECT;

    /** Whether flagged sources are left out of the context. */
    public boolean strips() {
        return this != FLAG;
    }

    /** The policy named {@code name} in a tenants file ({@code "flag"}, {@code "strip"}, {@code "reject"}). */
    public static InjectionPolicy parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'promptInjection' must be flag, strip or reject, not '" + name + "'");
        }
    }
}
