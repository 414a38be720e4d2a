package io.sluice.operators.guard;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds structured personal data and secrets in text. Each type is a cheap pattern that proposes
 * candidates and a check that confirms them — the Luhn digit of a card, the mod-97 check and
 * country length of an IBAN, the SSA's issuing rules of an SSN, octet ranges of an IPv4 address,
 * the group structure of an IPv6 one — because precision matters as much as recall here: an order
 * number, a date, a version string or an ISBN redacted by mistake breaks the question it was in.
 *
 * <p>Patterns avoid nested ambiguous quantifiers, so that hostile text (a 32,000-character run of
 * digits, separators or {@code @}) costs linear time. Overlapping candidates resolve by type
 * priority (secret, email, IBAN, card, SSN, phone, IP), then by position. Stateless and thread-safe.
 */
public final class PiiDetector {

    private final Set<PiiType> types;
    /** Whether patterns skip text that lacks what their findings need ({@link Traits}); off only to test that. */
    private final boolean gated;

    /** A detector of every type. */
    public PiiDetector() {
        this(EnumSet.allOf(PiiType.class));
    }

    /** A detector of {@code types} only. */
    public PiiDetector(Set<PiiType> types) {
        this(types, true);
    }

    PiiDetector(Set<PiiType> types, boolean gated) {
        this.types = types.isEmpty() ? EnumSet.noneOf(PiiType.class) : EnumSet.copyOf(types);
        this.gated = gated;
    }

    /** The findings in {@code text}, in order of position, never overlapping. */
    public List<PiiFinding> find(String text) {
        List<PiiFinding> candidates = candidatesByPriority(text);
        List<PiiFinding> kept = new ArrayList<>();
        java.util.BitSet covered = new java.util.BitSet(text.length());
        for (PiiFinding f : candidates) { // in priority order: a finding loses to any kept one it overlaps
            if (covered.nextSetBit(f.start()) < 0 || covered.nextSetBit(f.start()) >= f.end()) {
                kept.add(f);
                covered.set(f.start(), f.end());
            }
        }
        kept.sort(Comparator.comparingInt(PiiFinding::start));
        return kept;
    }

    /**
     * Every value confirmed in {@code text} before overlaps are resolved, in order of position: what
     * a streaming redactor must not cut through, since which of two overlapping values wins can
     * change as more text arrives.
     */
    public List<PiiFinding> candidates(String text) {
        List<PiiFinding> all = candidatesByPriority(text);
        all.sort(Comparator.comparingInt(PiiFinding::start));
        return all;
    }

    private List<PiiFinding> candidatesByPriority(String text) {
        List<PiiFinding> candidates = new ArrayList<>();
        Traits traits = gated ? Traits.of(text) : Traits.UNKNOWN;
        for (PiiType type : PRIORITY) {
            if (types.contains(type)) {
                detect(type, text, traits, candidates);
            }
        }
        return candidates;
    }

    /**
     * What a text holds that findings need, counted in one pass. Every pattern scans the whole text
     * from every position, and most text has no "@", few digits and none of the secrets' fixed
     * prefixes: answer redaction was 3 % of the serving job's CPU at 150 requests/s, nearly all of it
     * in patterns that could not have matched. Each gate below is a necessary condition of its
     * pattern and check (a card has at least 13 digits, an international number 8, a NANP number
     * 10), so skipping a pattern the gate closes finds exactly what scanning with it would.
     */
    private record Traits(int digits, int dots, int colons, boolean at) {
        /** Gates open for every pattern. */
        static final Traits UNKNOWN = new Traits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, true);

        static Traits of(String text) {
            int digits = 0;
            int dots = 0;
            int colons = 0;
            boolean at = false;
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c >= '0' && c <= '9') {
                    digits++;
                } else if (c == '.') {
                    dots++;
                } else if (c == ':') {
                    colons++;
                } else if (c == '@') {
                    at = true;
                }
            }
            return new Traits(digits, dots, colons, at);
        }
    }

    private static final List<PiiType> PRIORITY = List.of(PiiType.SECRET, PiiType.EMAIL, PiiType.IBAN,
            PiiType.PAYMENT_CARD, PiiType.US_SSN, PiiType.PHONE, PiiType.IP_ADDRESS);

    private void detect(PiiType type, String text, Traits traits, List<PiiFinding> out) {
        switch (type) {
            case SECRET -> {
                for (Secret secret : SECRETS) {
                    if (!gated || secret.mayBeIn().test(text)) {
                        matches(secret.pattern(), text, type, 1, out, ANY);
                    }
                }
            }
            case EMAIL -> {
                if (traits.at()) {
                    matches(EMAIL, text, type, 0, out, ANY);
                }
            }
            case IBAN -> {
                if (traits.digits() >= 2) {
                    matches(IBAN_CANDIDATE, text, type, 0, out, (s, at) -> validIban(s));
                }
            }
            case PAYMENT_CARD -> {
                if (traits.digits() >= 13) {
                    matches(CARD_CANDIDATE, text, type, 0, out, (s, at) -> validCard(s)
                            && !after(REFERENCE_WORD, text, at) && !insideJoinedToken(text, at, s));
                }
            }
            case US_SSN -> {
                if (traits.digits() >= 9) {
                    matches(SSN_DASHED, text, type, 0, out, (s, at) -> validSsn(s));
                    matches(SSN_NAMED, text, type, 1, out, (s, at) -> validSsn(s));
                }
            }
            case PHONE -> {
                if (traits.digits() >= 8) {
                    matches(PHONE_INTERNATIONAL, text, type, 0, out, (s, at) -> validInternationalPhone(s)
                            && !after(REFERENCE_WORD, text, at) && !insideJoinedToken(text, at, s));
                }
                if (traits.digits() >= 10) {
                    matches(PHONE_NANP, text, type, 0, out, (s, at) -> !after(REFERENCE_WORD, text, at));
                }
                if (traits.digits() >= 7) {
                    matches(PHONE_NAMED, text, type, 1, out, (s, at) -> {
                        int digits = digits(s).length();
                        return digits >= 7 && digits <= 13;
                    });
                }
            }
            case IP_ADDRESS -> {
                if (traits.digits() >= 4 && traits.dots() >= 3) {
                    matches(IPV4, text, type, 0, out, (s, at) -> validIpv4(s) && !after(VERSION_WORD, text, at));
                }
                if (traits.colons() >= 2) {
                    matches(IPV6_CANDIDATE, text, type, 0, out, (s, at) -> validIpv6(s));
                }
            }
        }
    }

    /** Confirms a candidate: its text and where it starts. */
    private interface Check {
        boolean test(String candidate, int start);
    }

    private static final Check ANY = (candidate, start) -> true;

    /** Adds each match of {@code pattern} (its {@code group}) that {@code check} confirms. */
    private static void matches(Pattern pattern, String text, PiiType type, int group, List<PiiFinding> out,
            Check check) {
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            int start = m.start(group);
            int end = m.end(group);
            if (start >= 0 && end > start && check.test(text.substring(start, end), start)) {
                out.add(new PiiFinding(type, start, end));
            }
        }
    }

    // ---- secrets: shapes issuers give their keys, so that nothing ordinary looks like one ---------

    private static final String NOT_AFTER_TOKEN = "(?<![A-Za-z0-9_-])";

    /** A secret's pattern, and what text must contain for it to match: the fixed part of its shape. */
    private record Secret(Pattern pattern, Predicate<String> mayBeIn) {
        static Secret after(String literal, String regex) {
            return new Secret(Pattern.compile(regex), text -> text.contains(literal));
        }
    }

    private static final List<Secret> SECRETS = List.of(
            Secret.after("sk-", NOT_AFTER_TOKEN + "(sk-(?:proj-|sluice-)?[A-Za-z0-9_-]{20,200})"),
            new Secret(Pattern.compile(NOT_AFTER_TOKEN + "((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,200})"),
                    text -> text.contains("k_live_") || text.contains("k_test_")),
            new Secret(Pattern.compile(NOT_AFTER_TOKEN + "((?:AKIA|ASIA)[0-9A-Z]{16})(?![0-9A-Za-z])"),
                    text -> text.contains("AKIA") || text.contains("ASIA")),
            Secret.after("gh", NOT_AFTER_TOKEN + "(gh[pousr]_[A-Za-z0-9]{36,255})"),
            Secret.after("github_pat_", NOT_AFTER_TOKEN + "(github_pat_[A-Za-z0-9_]{22,255})"),
            Secret.after("xox", NOT_AFTER_TOKEN + "(xox[abprs]-[A-Za-z0-9-]{10,255})"),
            Secret.after("AIza", NOT_AFTER_TOKEN + "(AIza[0-9A-Za-z_-]{35})"),
            Secret.after(".eyJ", NOT_AFTER_TOKEN
                    + "(eyJ[A-Za-z0-9_-]{8,4000}\\.eyJ[A-Za-z0-9_-]{8,8000}\\.[A-Za-z0-9_-]{8,2000})"),
            Secret.after("-----BEGIN ", "(-----BEGIN (?:[A-Z]{1,10} ){0,3}PRIVATE KEY-----[A-Za-z0-9+/=\\s]{0,20000}?"
                    + "(?:-----END (?:[A-Z]{1,10} ){0,3}PRIVATE KEY-----|\\z))"),
            new Secret(Pattern.compile("(?i)\\bbearer\\s+([A-Za-z0-9._~+/-]{20,4000}=*)"),
                    text -> containsIgnoringCase(text, "bearer")));

    /** Whether {@code text} contains {@code word} (ASCII letters) in any case. */
    private static boolean containsIgnoringCase(String text, String word) {
        char first = word.charAt(0);
        char upper = Character.toUpperCase(first);
        for (int i = 0; i + word.length() <= text.length(); i++) {
            char c = text.charAt(i);
            if ((c == first || c == upper) && text.regionMatches(true, i, word, 0, word.length())) {
                return true;
            }
        }
        return false;
    }

    // ---- email -------------------------------------------------------------------------------------

    /** Dot-separated domain labels ending in a letters-only top-level domain: {@code lodash@4.17.21} is not one. */
    private static final Pattern EMAIL = Pattern.compile("(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
            + "(?:[A-Za-z0-9-]{1,63}\\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-]|\\.[A-Za-z0-9])");

    // ---- IBAN --------------------------------------------------------------------------------------

    private static final Pattern IBAN_CANDIDATE = Pattern.compile(
            "(?<![A-Za-z0-9])[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])");

    /** IBAN lengths by country (ISO 13616 registry), for the countries whose customers are likeliest. */
    private static final Map<String, Integer> IBAN_LENGTHS = Map.ofEntries(
            Map.entry("AD", 24), Map.entry("AE", 23), Map.entry("AT", 20), Map.entry("BE", 16), Map.entry("BG", 22),
            Map.entry("BH", 22), Map.entry("BR", 29), Map.entry("CH", 21), Map.entry("CY", 28), Map.entry("CZ", 24),
            Map.entry("DE", 22), Map.entry("DK", 18), Map.entry("EE", 20), Map.entry("ES", 24), Map.entry("FI", 18),
            Map.entry("FO", 18), Map.entry("FR", 27), Map.entry("GB", 22), Map.entry("GI", 23), Map.entry("GL", 18),
            Map.entry("GR", 27), Map.entry("HR", 21), Map.entry("HU", 28), Map.entry("IE", 22), Map.entry("IL", 23),
            Map.entry("IS", 26), Map.entry("IT", 27), Map.entry("KW", 30), Map.entry("KZ", 20), Map.entry("LB", 28),
            Map.entry("LI", 21), Map.entry("LT", 20), Map.entry("LU", 20), Map.entry("LV", 21), Map.entry("MC", 27),
            Map.entry("MT", 31), Map.entry("NL", 18), Map.entry("NO", 15), Map.entry("PK", 24), Map.entry("PL", 28),
            Map.entry("PT", 25), Map.entry("QA", 29), Map.entry("RO", 24), Map.entry("RS", 22), Map.entry("SA", 24),
            Map.entry("SE", 24), Map.entry("SI", 19), Map.entry("SK", 24), Map.entry("SM", 27), Map.entry("TR", 26),
            Map.entry("UA", 29));

    static boolean validIban(String candidate) {
        String iban = candidate.replace(" ", "");
        Integer length = IBAN_LENGTHS.get(iban.substring(0, 2));
        if (length == null || iban.length() != length) {
            return false;
        }
        // ISO 7064 mod 97-10: the country and check digits move to the end, letters count as 10-35.
        String rearranged = iban.substring(4) + iban.substring(0, 4);
        int remainder = 0;
        for (int i = 0; i < rearranged.length(); i++) {
            int value = Character.digit(rearranged.charAt(i), 36);
            remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
        }
        return remainder == 1;
    }

    // ---- payment cards -----------------------------------------------------------------------------

    private static final Pattern REFERENCE_WORD = Pattern.compile(
            "(?i)\\b(?:invoice|order|ref(?:erence)?|tracking|ticket|case|contract)\\b[^\\d]{0,12}$");

    private static final Pattern CARD_CANDIDATE = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])");

    static boolean validCard(String candidate) {
        boolean spaces = candidate.indexOf(' ') >= 0;
        boolean dashes = candidate.indexOf('-') >= 0;
        if (spaces && dashes) {
            return false;
        }
        if ((spaces || dashes) && !cardGrouping(candidate.split("[ -]"))) {
            return false;
        }
        String digits = digits(candidate);
        return knownNetwork(digits) && luhn(digits);
    }

    /** Cards are printed in groups of four (Amex and Diners 4-6-5 / 4-6-4); other groupings are other numbers. */
    private static boolean cardGrouping(String[] groups) {
        int[] sizes = java.util.Arrays.stream(groups).mapToInt(String::length).toArray();
        if (sizes.length == 3 && sizes[0] == 4 && sizes[1] == 6 && (sizes[2] == 5 || sizes[2] == 4)) {
            return true;
        }
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] != 4 && !(i == sizes.length - 1 && sizes[i] >= 1 && sizes[i] <= 3)) {
                return false;
            }
        }
        return sizes.length >= 4;
    }

    /** The issuer ranges of the major networks, with their lengths. */
    private static boolean knownNetwork(String d) {
        int n = d.length();
        int two = Integer.parseInt(d.substring(0, 2));
        int four = Integer.parseInt(d.substring(0, 4));
        if (d.charAt(0) == '4') {
            return n == 13 || n == 16 || n == 19; // Visa
        }
        if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) {
            return n == 16; // Mastercard
        }
        if (two == 34 || two == 37) {
            return n == 15; // American Express
        }
        if (four == 6011 || two == 65 || (four >= 6440 && four <= 6499) || two == 62) {
            return n >= 16 && n <= 19; // Discover, UnionPay
        }
        if (four >= 3528 && four <= 3589) {
            return n >= 16 && n <= 19; // JCB
        }
        if (two == 36 || two == 38 || two == 39 || (four >= 3000 && four <= 3059)) {
            return n >= 14 && n <= 19; // Diners Club
        }
        return false;
    }

    static boolean luhn(String digits) {
        int sum = 0;
        boolean twice = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (twice) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            twice = !twice;
        }
        return sum % 10 == 0;
    }

    // ---- US social security numbers ------------------------------------------------------------------

    private static final Pattern SSN_DASHED = Pattern.compile("(?<![\\d-])\\d{3}-\\d{2}-\\d{4}(?![\\d-])");
    /** Undashed nine digits only where the text says it is an SSN: otherwise nine digits are anything. */
    private static final Pattern SSN_NAMED = Pattern.compile(
            "(?i)\\b(?:ssn|social security(?: number| no\\.?| #)?)\\b[^\\d\\n]{0,15}(\\d{9}|\\d{3} \\d{2} \\d{4})(?!\\d)");

    /** The SSA never issues area 000, 666 or 900-999, group 00 or serial 0000; two famous numbers are void. */
    static boolean validSsn(String candidate) {
        String d = digits(candidate);
        if (d.length() != 9) {
            return false;
        }
        int area = Integer.parseInt(d.substring(0, 3));
        int group = Integer.parseInt(d.substring(3, 5));
        int serial = Integer.parseInt(d.substring(5));
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
                && !d.equals("078051120") && !d.equals("219099999");
    }

    // ---- phone numbers -------------------------------------------------------------------------------

    /**
     * A country code after "+" or the international prefix "00", not continuing a run of digit
     * groups (the tail of an account or invoice number can look like "0044 0532 0130").
     */
    private static final Pattern PHONE_INTERNATIONAL = Pattern.compile(
            "(?<![\\w+])(?<!\\d[ .-])(?:\\+|00)[1-9][\\d ().-]{5,22}\\d(?!\\d)");
    /** North American numbers, (555) 123-4567, 555-123-4567, 555.123.4567, 555 123 4567: one kind of separator. */
    private static final Pattern PHONE_NANP = Pattern.compile("(?<![\\w.-])(?<!\\d[ .-])(?:\\(\\d{3}\\) ?\\d{3}[-. ]|\\d{3}-\\d{3}-"
            + "|\\d{3}\\.\\d{3}\\.|\\d{3} \\d{3} )\\d{4}(?![\\w-]|[.,]\\d)");
    /** National numbers (a leading 0) where the text says it is a phone number. */
    private static final Pattern PHONE_NAMED = Pattern.compile("(?i)\\b(?:phone|tel|telephone|mobile|cell|call|fax"
            + "|whatsapp|reach me|ring me)\\b[^\\d+\\n]{0,20}(0\\d[\\d ./-]{5,16}\\d)(?![\\d-])");

    /** E.164 allows at most 15 digits; fewer than 8 is no reachable number; separators do not repeat. */
    static boolean validInternationalPhone(String candidate) {
        int digits = digits(candidate).length();
        if (digits < 8 || digits > 15 || candidate.matches(".*[ .-]{2,}.*")) {
            return false;
        }
        int open = 0;
        for (char c : candidate.toCharArray()) {
            if (c == '(') {
                open++;
            } else if (c == ')' && --open < 0) {
                return false;
            }
        }
        return open == 0;
    }

    // ---- IP addresses --------------------------------------------------------------------------------

    private static final Pattern IPV4 = Pattern.compile("(?<![\\w.])(?:\\d{1,3}\\.){3}\\d{1,3}(?!\\w|\\.\\d)");
    private static final Pattern IPV6_CANDIDATE = Pattern.compile("(?<![\\w:])[0-9A-Fa-f:]{2,39}(?![\\w:])");
    private static final Pattern VERSION_WORD = Pattern.compile("(?i)\\b(?:version|release|build|ver\\.?|v)\\s*$");

    static boolean validIpv4(String candidate) {
        for (String octet : candidate.split("\\.")) {
            if ((octet.length() > 1 && octet.charAt(0) == '0') || Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the words just before {@code at} say what the number is: "version 1.2.3.4" is a
     * version, "invoice 3976 1872 1404 2417" an invoice even when its digits pass a card's checks.
     */
    /**
     * Whether {@code candidate}, found at {@code at}, is part of a longer token of letters and
     * digits joined by "-" or ".", such as a UUID ("e786f92f-0036-4268-858c-…",
     * "77fc4695-3996-7819-5b5e", "…-f9cb-004139613137"): joined to a letter or digit on either side
     * by "-" or "."; or, itself joined by them, touching one. A number grouped by spaces that
     * touches a word ("1111ops") keeps counting, as before.
     */
    static boolean insideJoinedToken(String text, int at, String candidate) {
        boolean joined = candidate.indexOf('-') >= 0 || candidate.indexOf('.') >= 0;
        int end = at + candidate.length();
        boolean before = at > 1 && isJoin(text.charAt(at - 1)) && Character.isLetterOrDigit(text.charAt(at - 2))
                || joined && at > 0 && Character.isLetterOrDigit(text.charAt(at - 1));
        boolean after = end + 1 < text.length() && isJoin(text.charAt(end)) && Character.isLetterOrDigit(
                text.charAt(end + 1)) || joined && end < text.length() && Character.isLetterOrDigit(text.charAt(end));
        return before || after;
    }

    private static boolean isJoin(char c) {
        return c == '-' || c == '.';
    }

    private static boolean after(Pattern words, String text, int at) {
        return words.matcher(text.substring(Math.max(0, at - 24), at)).find();
    }

    static boolean validIpv6(String candidate) {
        if (candidate.chars().filter(c -> c == ':').count() < 2) {
            return false;
        }
        int compressed = candidate.indexOf("::");
        if (compressed >= 0 && candidate.indexOf("::", compressed + 1) >= 0) {
            return false;
        }
        String[] groups = candidate.split(":", -1);
        int filled = 0;
        for (String g : groups) {
            if (g.length() > 4) {
                return false;
            }
            if (!g.isEmpty()) {
                filled++;
            }
        }
        if (filled == 0) {
            return false;
        }
        // Without "::" exactly eight groups, none empty; with it, fewer than eight filled.
        return compressed < 0 ? groups.length == 8 && filled == 8 : filled < 8
                && candidate.toLowerCase(Locale.ROOT).matches("[0-9a-f:]+");
    }

    private static String digits(String s) {
        StringBuilder d = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                d.append(c);
            }
        }
        return d.toString();
    }
}
