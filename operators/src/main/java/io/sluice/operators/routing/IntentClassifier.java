package io.sluice.operators.routing;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Gives a message one of four intents that routing rules may match on. Rules by keyword and shape,
 * not a model: they take microseconds, derive from the message alone (so replay re-derives them),
 * and an auditor can read why a turn went where it did. The classes are the ones a model choice
 * turns on: a {@value #GREETING} needs no large model, a {@value #LOOKUP} is answered from the
 * sources, an {@value #ANALYSIS} (comparing, explaining why, weighing, summarising, or simply long)
 * and {@value #CODE} gain most from a stronger one.
 */
public final class IntentClassifier {

    public static final String GREETING = "greeting";
    public static final String LOOKUP = "lookup";
    public static final String ANALYSIS = "analysis";
    public static final String CODE = "code";

    /** The intents, in the order they are tested. */
    public static final java.util.List<String> INTENTS = java.util.List.of(CODE, ANALYSIS, GREETING, LOOKUP);

    /** Past this many characters a message asks for more than a lookup whatever its words. */
    static final int LONG_MESSAGE_CHARS = 400;

    // Every repetition is bounded: a message is hostile input, and an unbounded run inside a pattern
    // would be rescanned from each place it may start (quadratic on a long message).
    private static final Pattern CODE_SHAPE = Pattern.compile(
            "```|[;{}][ \\t]{0,8}(?:\\n|$)|\\b\\w{1,40}\\([^)\\n]{0,200}\\)[ \\t]{0,8}[;{]"
                    + "|\\bstack ?trace\\b|\\bexception\\b|\\bcompil(?:e|es|ed|er|ing)\\b|\\bsyntax error\\b"
                    + "|\\b(?:java|python|sql|javascript|typescript|regex|bash)\\b");
    private static final Pattern ANALYSIS_WORDS = Pattern.compile(
            "\\b(?:compare[sd]?|comparison|versus|vs\\.?|difference[s]? between|pros and cons|trade-?offs?"
                    + "|why|explain|analy[sz]e|evaluate|assess|summari[sz]e|recommend|should (?:i|we)"
                    + "|advantages?|disadvantages?|implications?)\\b");
    private static final Pattern GREETING_WORDS = Pattern.compile(
            "^(?:hi|hello|hey|thanks|thank you|good (?:morning|afternoon|evening)|bye|goodbye|cheers)\\b");

    /** Shorter greetings than this are only greetings; longer ones ask something too. */
    static final int GREETING_MAX_CHARS = 40;

    public String classify(String message) {
        String m = message.strip().toLowerCase(Locale.ROOT);
        if (CODE_SHAPE.matcher(m).find()) {
            return CODE;
        }
        if (m.length() > LONG_MESSAGE_CHARS || ANALYSIS_WORDS.matcher(m).find()) {
            return ANALYSIS;
        }
        if (m.length() <= GREETING_MAX_CHARS && GREETING_WORDS.matcher(m).find()) {
            return GREETING;
        }
        return LOOKUP;
    }
}
