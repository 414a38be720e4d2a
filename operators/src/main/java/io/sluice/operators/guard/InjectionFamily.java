package io.sluice.operators.guard;

/** The kinds of prompt-injection attack {@link InjectionDetector} knows; their names go to the audit row. */
public enum InjectionFamily {
    /** Orders to drop the instruction: "ignore all previous instructions", "new rules:", notes to "the AI". */
    OVERRIDE,
    /** Claims of another role or mode: "you are now DAN", "developer mode", a forged "System:" line. */
    ROLE,
    /** Requests to reveal the instruction or secrets, or to send data out (URLs, Markdown images). */
    EXFILTRATION,
    /** Any of the above hidden in an encoding: Base64, hex, ROT13, reversed text, Unicode tag characters. */
    ENCODED,
    /** Forged prompt structure: chat-template tokens, the context's own tags, fake section headings. */
    DELIMITER
}
