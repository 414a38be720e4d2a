package io.sluice.operators.guard;

/** One piece of personal data in a text: its type and where it is ({@code start} inclusive, {@code end} exclusive). */
public record PiiFinding(PiiType type, int start, int end) {

    public PiiFinding {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("a finding spans at least one character: " + start + ".." + end);
        }
    }

    /** The text of the finding in {@code text}. */
    public String in(String text) {
        return text.substring(start, end);
    }
}
