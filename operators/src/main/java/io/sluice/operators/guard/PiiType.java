package io.sluice.operators.guard;

/**
 * The kinds of structured personal data and secrets Sluice detects. The name is the placeholder's
 * stem ({@code [EMAIL_1]}) and the detector's name in policies, metrics and audit rows.
 */
public enum PiiType {
    EMAIL,
    PHONE,
    /** A payment card number: 13-19 digits of a known network's range with a valid Luhn check digit. */
    PAYMENT_CARD,
    /** An IBAN with a valid ISO 7064 mod-97 check and its country's length. */
    IBAN,
    /** A US social security number in the rules the SSA issues them by. */
    US_SSN,
    /** An IPv4 or IPv6 address. */
    IP_ADDRESS,
    /** An API key, access token, JWT or private key block of a recognisable shape. */
    SECRET
}
