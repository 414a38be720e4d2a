package io.sluice.schemas.tenants;

import java.util.Locale;

/** What the validate stage does with personal data in a tenant's requests. */
public enum PiiPolicy {
    /** Replace each value with a typed placeholder ({@code [EMAIL_1]}) and answer (the default). */
    REDACT,
    /** Refuse the request ({@code PII_DETECTED}), naming the kinds of data found, never the values. */
    REJECT,
    /** Leave the text as it is: the tenant has its own controls. */
    ALLOW;

    /** The policy named {@code name} in a tenants file ({@code "redact"}, {@code "reject"}, {@code "allow"}). */
    public static PiiPolicy parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'pii' must be redact, reject or allow, not '" + name + "'");
        }
    }
}
