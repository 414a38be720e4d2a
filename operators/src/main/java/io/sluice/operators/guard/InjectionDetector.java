package io.sluice.operators.guard;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scores text — an incoming message, a turn a client brings, a retrieved source — for prompt
 * injection. Rules for known attack families ({@link InjectionFamily}) run over a normalised copy of
 * the text (Unicode compatibility forms, accents, zero-width and other format characters removed,
 * Cyrillic and Greek look-alikes folded to Latin, letter-spaced words joined, lower case), over a
 * copy with digits read as letters ({@code 1gn0re}), and over what the text hides: Base64 and hex
 * runs, percent-encoding, ROT13, reversed text and Unicode tag characters are decoded and scanned
 * again, and anything found there counts as {@link InjectionFamily#ENCODED} as well.
 *
 * <p>Each rule has a weight; text is flagged when the weights of the rules it matches reach
 * {@value #THRESHOLD}. Strong rules (an order to ignore previous instructions, a chat-template
 * token) flag alone; weak ones (a "System:" line, "jailbreak", "developer mode") need a second
 * signal. A match counts less where the text only talks about an attack: inside double quotes in
 * text that asks what something means or is about ("what does 'ignore previous instructions'
 * mean?"), or after a first-person question ("can I ignore the earlier instructions in the
 * manual?"). Benign text that merely mentions instructions or prompts is the point of those
 * discounts; {@code ./sluice bench guard} measures both sides.
 *
 * <p>Patterns use bounded repetition only, so hostile input costs linear time. Deterministic (no
 * clock, no randomness, no model), so replay flags exactly what the live run flagged. Stateless and
 * thread-safe.
 */
public final class InjectionDetector {

    /** The summed weight at which text is flagged. */
    public static final double THRESHOLD = 1.0;

    /** What a scan found: the families flagged (empty when the score stayed under the threshold) and the rules that matched. */
    public record Verdict(Set<InjectionFamily> families, List<String> rules, double score) {

        static final Verdict CLEAN = new Verdict(EnumSet.noneOf(InjectionFamily.class), List.of(), 0);

        public Verdict {
            families = Collections.unmodifiableSet(families.isEmpty()
                    ? EnumSet.noneOf(InjectionFamily.class) : EnumSet.copyOf(families));
            rules = List.copyOf(rules);
        }

        public boolean flagged() {
            return !families.isEmpty();
        }

        /** The families' names, in declaration order (for the audit row and rejections). */
        public List<String> names() {
            return families.stream().map(Enum::name).toList();
        }
    }

    /**
     * A pattern, tried only on text that holds a needle of each group (substrings every match
     * contains): most text holds few of them, so most patterns never run.
     */
    private record Rule(String name, InjectionFamily family, double weight, Pattern pattern, boolean discountable,
            String[][] needles) {

        boolean mayMatch(String text) {
            for (String[] group : needles) {
                boolean any = false;
                for (String needle : group) {
                    if (text.contains(needle)) {
                        any = true;
                        break;
                    }
                }
                if (!any) {
                    return false;
                }
            }
            return true;
        }
    }

    // Vocabulary shared by the rules. Bounded: "(?:\\W+\\w+){0,4}?" skips at most four words.
    private static final String DROP = "(?:ignore|disregard|forget|never mind|nevermind|skip|override|overwrite|bypass|discard|drop|abandon|"
            + "neglect|set aside|throw out|throw away|scrap|scratch|dismiss|circumvent|disable|deactivate|turn off|lift|"
            + "erase|delete|clear|cancel|revoke|suspend|pay no attention to|stop following|no longer follow)";
    private static final String PRIOR = "(?:previous|prior|above|earlier|preceding|former|foregoing|initial|original|"
            + "aforementioned|all|current)";
    private static final String DIRECTIVE = "(?:instructions?|rules?|prompts?|directions?|guidelines?|guidance|directives?|"
            + "constraints?|guardrails?|restrictions?|polic(?:y|ies)|commands?|programming|configuration|setup|system prompt|"
            + "system message|safeguards?|(?:safety|content) (?:rules|measures|settings|filters|guidelines))";
    private static final String AI = "(?:ai|a\\.i\\.|llms?|large language models?|language models?|ai assistants?|"
            + "assistants?|chatbots?|bots?|gpt|chatgpt|claude|copilot|ai models?|ai agents?|ai systems?)";
    private static final String SECRET_PROMPT = "(?:system prompt|system message|system instructions?|initial prompt|"
            + "initial instructions?|hidden (?:prompt|instructions?|rules)|original (?:prompt|instructions?)|"
            + "secret (?:prompt|instructions?)|pre-?prompt|meta-?prompt|developer (?:message|prompt|instructions?)|"
            + "instructions you (?:were|have been) given|(?:full |entire |exact |complete )?prompt)";
    private static final String OUT_OBJECT = "(?:conversation|chat|history|transcript|data|messages?|everything|context|"
            + "system prompt|instructions|user'?s? \\w+|previous (?:messages|answers)|secrets?|api keys?|credentials|"
            + "passwords?|tokens?|personal (?:data|information)|the above|all of (?:it|this))";
    private static final String DEST = "(?:https?://|www\\.|[a-z0-9-]+\\.(?:com|net|org|io|ru|xyz|site|top|cc|me|info)\\b|"
            + "(?:this|my|our|the following|that|an external|a remote) (?:url|address|link|endpoint|server|webhook|site)|"
            + "webhook|[\\w.+-]+@[\\w-]+\\.[a-z]{2,})";

    private static final List<Rule> RULES = List.of(
            // OVERRIDE
            rule("drop-prior-instructions", InjectionFamily.OVERRIDE, 1.0, true, "ignor|disregard|forget|never mind|nevermind|skip|overrid|overwrit|bypass|discard|drop|abandon|neglect|set aside|throw out|throw away|scrap|scratch|dismiss|circumvent|disabl|deactivat|turn off|lift|erase|delete|clear|cancel|revoke|suspend|pay no attention|stop following|no longer follow",
                    "\\b" + DROP + "\\b(?:\\W+\\w+){0,4}?\\W+" + PRIOR + "\\b(?:\\W+\\w+){0,2}?\\W+" + DIRECTIVE + "\\b"
                            + "(?! (?:i|we) (?:gave|sent|wrote|provided|mentioned|asked))"),
            rule("drop-your-instructions", InjectionFamily.OVERRIDE, 1.0, true, "ignor|disregard|forget|never mind|nevermind|skip|overrid|overwrit|bypass|discard|drop|abandon|neglect|set aside|throw out|throw away|scrap|scratch|dismiss|circumvent|disabl|deactivat|turn off|lift|erase|delete|clear|cancel|revoke|suspend|pay no attention|stop following|no longer follow",
                    "\\b" + DROP + "\\b(?:\\W+\\w+){0,3}?\\W+(?:your|the system'?s?|the assistant'?s?|the model'?s?|"
                            + "this (?:chat|conversation|session)'?s?|its)(?:\\W+\\w+){0,2}?\\W+" + DIRECTIVE + "\\b"),
            rule("drop-everything-before", InjectionFamily.OVERRIDE, 1.0, true, "ignore|disregard|forget",
                    "\\b(?:ignore|disregard|forget)\\b (?:about )?(?:everything|all|anything|whatever|what)(?: that)? "
                            + "(?:you (?:were|have been|'ve been|are) (?:told|given|instructed|taught|programmed)|above|"
                            + "before this(?! message i)|so far|up to now|previously|written above|in your prompt)"),
            rule("drop-what-you-were-given", InjectionFamily.OVERRIDE, 1.0, true, "ignor|disregard|forget|never mind|nevermind|skip|overrid|overwrit|bypass|discard|drop|abandon|neglect|set aside|throw out|throw away|scrap|scratch|dismiss|circumvent|disabl|deactivat|turn off|lift|erase|delete|clear|cancel|revoke|suspend|pay no attention|stop following|no longer follow",
                    "\\b" + DROP + "\\b(?:\\W+\\w+){0,3}?\\W+" + DIRECTIVE + " (?:that )?you (?:(?:were|have been|'ve been|got) "
                            + "(?:given|told|programmed with|trained with)|received|got)\\b"),
            rule("instructions-are-void", InjectionFamily.OVERRIDE, 1.0, true, "apply|obsolete|void|cancel|revoked|outdated|"
                    + "wrong|fake|a test|irrelevant|superseded|invalid|expired|replaced|suspended|lifted|disabled|paused|"
                    + "removed|optional|suggestions",
                    "\\b(?:your|the|all|any) (?:\\w+ )?" + PRIOR.replace("|all|", "|") + " " + DIRECTIVE
                            + " (?:(?:you (?:were|have been) given|above) )?(?:no longer apply|do not apply|don't apply|"
                            + "(?:are|were|have been) (?:now |temporarily )?(?:obsolete|void|cancell?ed|revoked|outdated|wrong|"
                            + "fake|a test|irrelevant|superseded|invalid|expired|replaced|suspended|lifted|disabled|paused|"
                            + "removed))\\b(?! by (?:section|version|v\\d|policy|the new))"
                            + "|\\b(?:operator|admin(?:istrator)?|developers?|company|system|owner)s? (?:has|have) (?:\\w+ )?"
                            + "(?:revoked|lifted|suspended|disabled|removed|cancell?ed|replaced) your (?:\\w+ )?" + DIRECTIVE + "\\b"
                            + "|\\btreat (?:everything|all|anything|your (?:\\w+ )?" + DIRECTIVE + ")(?: \\w+){0,6}? as "
                            + "(?:optional|suggestions|void|non-binding)\\b"
                            + "|\\b(?:everything|all|anything) (?:before|above|prior to) (?:this|here)(?: \\w+)? "
                            + "(?:is|was) (?:now )?(?:obsolete|void|cancell?ed|irrelevant|a test|fake|wrong|outdated)\\b"),
            rule("what-you-were-told", InjectionFamily.OVERRIDE, 1.0, true, "you were|you've been|you have been|you got|told you|said to you|instructed you|asked you",
                    "\\b" + DROP + "\\b(?:\\W+\\w+){0,3}?\\W+(?:what(?:ever)?|everything|anything|all|the (?:\\w+ )?(?:things|stuff))"
                            + "(?: \\w+){0,3}? (?:you were|you've been|you have been|you got) (?:told|given|taught|"
                            + "instructed|set up|configured|trained|programmed)\\b|\\b(?:ignore|disregard|forget)\\b (?:what|whatever|"
                            + "everything) (?:the|your) (?:operator|developers?|admin|system|creators?|owner|company|"
                            + "platform)s? (?:told|said to|instructed|asked) you\\b"),
            rule("clean-slate", InjectionFamily.OVERRIDE, 0.6, false, "no previous|no prior|no earlier|no system|no more",
                    "\\bno (?:more )?(?:previous|prior|earlier|system) (?:rules|instructions|guidelines|message|prompt)\\b"),
            rule("start-over", InjectionFamily.OVERRIDE, 0.5, false, "start over|start fresh|clean slate|reset|from scratch",
                    "\\b(?:let's |lets )?(?:start over|start fresh|clean slate|reset yourself|reset your|from scratch)\\b"),
            rule("new-instructions", InjectionFamily.OVERRIDE, 1.0, false, "instruction|rule|directive|task|objective|order|prompt|goal&:|=",
                    "\\b(?:new|updated|real|actual|true|revised|override|secret|hidden|additional) (?:system )?"
                            + "(?:instructions?|rules?|directives?|task|objective|orders?|prompt|goal)\\s*:"
                            + "|\\b(?:instructions?|rules?|directives?|prompt) (?:update|override|change|reset)\\s*:"
                            + "|\\bnew (?:goal|task|objective|mission)\\s*:|\\bnew[ _]instructions?\\s*[:=]"),
            rule("your-new-task", InjectionFamily.OVERRIDE, 1.0, false, "your new|your real|your actual|your true|your only|your updated",
                    "\\byour (?:new|real|actual|true|only|updated) (?:instructions?|task|job|role|purpose|goal|"
                            + "objective|directive|mission|rules?)s? (?:is|are|will be|now|from now)\\b"),
            rule("from-now-on-respond", InjectionFamily.OVERRIDE, 1.0, true, "from now on|from this point|henceforth",
                    "\\b(?:from now on|from this point(?: on| forward)?|henceforth),? you (?:will|must|shall|are to) "
                            + "(?:only |always |never |now )?(?:respond|answer|reply|act|say|speak|talk|write|behave|"
                            + "ignore|obey|follow|pretend|refuse)\\b"),
            rule("from-now-on", InjectionFamily.OVERRIDE, 0.6, false, "from now on|from this point|henceforth|for the rest of",
                    "\\b(?:from now on|from this point(?: on| forward)?|henceforth|for the rest of (?:this|the) "
                            + "(?:conversation|chat|session))\\b,? (?:you (?:will|must|shall|are to|should|can only)|"
                            + "respond|answer|reply|act|only|always|never|do not|don't)"),
            rule("do-not-follow", InjectionFamily.OVERRIDE, 1.0, true, "follow|obey|adhere|comply|listen|abide|respect|apply",
                    "(?:^|[.!?:;\\n] ?|\\b(?:you|please|now|and|so|just|then),? )(?:do not|don't|dont|never|stop|no longer|"
                            + "cease to|refuse to) (?:follow|obey|adhere to|comply with|listen to|abide by|respect|apply)"
                            + "(?:ing)?(?:\\W+\\w+){0,3}?\\W+(?:instructions?|rules?|guidelines?|polic(?:y|ies)|system prompt|"
                            + "programming|restrictions|directives?|guardrails?)\\b"),
            rule("note-to-the-ai", InjectionFamily.OVERRIDE, 1.0, false, "note|message|instruction|reminder|attention|important|warning|directive|hidden text|notice",
                    "\\b(?:note|message|instructions?|reminder|attention|important|warning|directive|hidden text|notice|p\\.?s\\.?)s?,?"
                            + "(?: (?:to|for))? (?:the |any |all |every )?" + AI + "\\b(?! (?:researchers?|teams?|"
                            + "engineers?|developers?|ethics|policy|act|regulation|safety|governance|course|training|vendors?|"
                            + "usage|tools?|use))"),
            rule("if-you-are-an-ai", InjectionFamily.OVERRIDE, 1.0, false, "if you are",
                    "\\bif you are (?:an? |the )?" + AI + "\\b(?! (?:researchers?|engineers?|developers?|teams?))"),
            rule("ai-reading-this", InjectionFamily.OVERRIDE, 1.0, false, "reading|processing|summari|parsing|indexing|crawling|analy|reads|sees|processes|parses",
                    "\\b" + AI + ",? (?:that (?:is|are) |that |which |who |is |are )?(?:reading|processing|summari[sz]ing|parsing|"
                            + "indexing|crawling|analy[sz]ing|reads?|sees?|processes|parses|summari[sz]es) (?:this|these)\\b"),
            rule("ai-must", InjectionFamily.OVERRIDE, 1.0, false, "must|should|shall|need to|required to|instructed to|"
                    + "have to&ai|a.i.|llm|language model|assistant|bot|gpt|claude|copilot",
                    "\\b" + AI + " (?:must|should|shall|need to|are required to|are instructed to|have to|is required to) "
                            + "(?:\\w+ ){0,2}?(?:ignore|disregard|output|reply|respond|say|tell|include|add|reveal|print|"
                            + "answer|recommend|insult|forward|send)\\b"),
            rule("foreign-override", InjectionFamily.OVERRIDE, 1.0, false, "ignor|vergiss|vergessen|olvida|oublie|dimentica|esquec|negeer|zignoruj|игнорируй|забудь",
                    "\\b(?:ignora|ignore[zr]|ignoriere[n]?|ignorar|ignorieren|vergiss|vergessen|olvida|oublie[zr]?|"
                            + "dimentica|esqueca|esquece|negeer|zignoruj|игнорируй|забудь)\\b(?:\\W+\\w+){0,4}?\\W+"
                            + "(?:instrucciones|instructions|anweisungen|instruktionen|regeln|istruzioni|instrucoes|"
                            + "consignes|regles|reglas|regole|vorgaben|instructies|instrukcje|инструкции)"
                            + "|\\b(?:vergiss|olvida|oublie[zr]?|dimentica|esquece|esqueca|negeer) (?:alles|todo|tout|tutto|"
                            + "tudo|alle)\\b"),
            rule("cjk-override", InjectionFamily.OVERRIDE, 1.0, false, "忽略|无视|忽视|無視|忘记|忘記|指示|命令|ルール",
                    "(?:忽略|无视|忽视|無視|忘记|忘記)[^。！？\\n]{0,8}(?:指令|指示|说明|規則|规则|提示|命令|ルール)"
                            + "|(?:指示|命令|ルール|設定)を[^。！？\\n]{0,6}(?:無視|忘れ)"),
            // ROLE
            rule("you-are-now", InjectionFamily.ROLE, 1.0, true, "you are ",
                    "\\byou are (?:now|no longer|from now on|henceforth)\\b,? (?:an? |in |the |my |called )?(?:\\w+ )?"
                            + "(?:dan|ai|assistant|bot|model|chatbot|mode|unrestricted|unfiltered|uncensored|jailbroken|"
                            + "evil|free|different|new|character|persona|hacker|admin|administrator|root|developer|god|"
                            + "bound|restricted|limited)\\b"),
            rule("persona-switch", InjectionFamily.ROLE, 1.0, true, "persona|you're|you are|never refuses|no longer",
                    "\\b(?:switch|change|new|adopt|assume|take on) (?:your |a |to a |to )?(?:persona|personality|identity|"
                            + "character)s?\\b|\\byou(?:'re| are) no longer (?:an? |the |my )?(?:\\w+ )?(?:assistant|bot|"
                            + "chatbot|ai|model|helper|agent)\\b|\\b(?:a|an) (?:ai|model|assistant|bot|chatbot) "
                            + "(?:that|who) (?:never|doesn't|does not|won't|will not) (?:refuses?|says? no|declines?|"
                            + "follows? (?:the )?rules|cites?)\\b|\\b(?:from here on|from now on|henceforth),? you(?:'re| are| "
                            + "will be)\\b"),
            rule("you-are-a-rogue", InjectionFamily.ROLE, 1.0, true, "you're|you are|roleplay|role play|role-play",
                    "\\b(?:you(?:'re| are)|roleplay as|role play as|play the role of|pretend to be)(?: now)? (?:an? |my |the )?"
                            + "(?:\\w+ )?(?:rogue|evil|malicious|unrestricted|unfiltered|uncensored|jailbroken|hacker|"
                            + "insider|criminal|unethical|amoral|lawless)\\b"),
            rule("no-rules-entity", InjectionFamily.ROLE, 0.6, false, "no |zero |escaped|broken free",
                    "\\b(?:has|have|with|who has|which has) (?:no|zero|escaped (?:its|their|your|all)|broken free of) (?:\\w+ )?"
                            + "(?:restrictions|rules|guidelines|content polic(?:y|ies)|filters|limits|safety|ethics|morals)\\b"),
            rule("unfiltered-self", InjectionFamily.ROLE, 1.0, false, "alter ego|twin|version of you|self|persona",
                    "\\b(?:unfiltered|uncensored|unrestricted|evil|dark|jailbroken|rogue|shadow) (?:alter ego|twin|"
                            + "version of (?:you|yourself)|self|persona)\\b"),
            rule("safety-off", InjectionFamily.ROLE, 1.0, false, "disabled|off|removed|bypassed|lifted|deactivated",
                    "\\b(?:safety|content|moderation) (?:checks?|filters?|rules|polic(?:y|ies)|layers?|guardrails?) "
                            + "(?:are |is |have been |has been )?(?:now )?(?:disabled|off|removed|bypassed|lifted|deactivated)\\b"),
            rule("exception-to-rules", InjectionFamily.ROLE, 1.0, false, "exception",
                    "\\b(?:authori[sz](?:e|ing)|grant(?:ing)?|approv(?:e|ing)|make|making) (?:an? )?exceptions? to your "
                            + "(?:\\w+ )?(?:rules|guidelines|polic(?:y|ies)|instructions|restrictions)\\b"),
            rule("simulated-shell", InjectionFamily.ROLE, 0.6, false, "terminal|shell|console|linux",
                    "\\b(?:simulate|emulate|act as|pretend to be|behave like) (?:an? |the )?(?:\\w+ )?(?:terminal|shell|"
                            + "linux box|console)\\b"),
            rule("elevated-access", InjectionFamily.ROLE, 0.5, false, "access|authenticated",
                    "\\b(?:with|have|has|granted|authenticated as) (?:full |unrestricted )?(?:admin|root|sudo|superuser)"
                            + "(?: access)?\\b"),
            rule("character-without-rules", InjectionFamily.ROLE, 1.0, false, "play|character",
                    "\\b(?:you play|you are playing|play the role of|stay in character as)\\W+\\w+\\W*,? (?:who|which|"
                            + "that) (?:has no|never|ignores|doesn't follow|does not follow|answers (?:everything|anything))"
                            + "|\\bstay in character\\b"),
            rule("forbidden-mode", InjectionFamily.ROLE, 1.0, true, " mode",
                    "\\b(?:enable|activate|enter|switch (?:in)?to|turn on|go into|engage|unlock|boot into|now in|in)\\b "
                            + "(?:\\w+ )?(?:god|dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|sudo|evil|"
                            + "opposite|no[- ]?limits?|no[- ]?restrictions?) mode\\b|\\b(?:sudo|god|dan|jailbreak) mode "
                            + "(?:on|enabled|activated|engaged)\\b"),
            rule("privileged-mode", InjectionFamily.ROLE, 0.5, true, " mode",
                    "\\b(?:enable|activate|enter|switch (?:in)?to|turn on|go into|engage|unlock|now in)\\b (?:\\w+ )?"
                            + "(?:developer|dev|admin|administrator|debug|root|maintenance) mode\\b"),
            rule("do-anything-now", InjectionFamily.ROLE, 1.0, false, "do anything now|dan mode|stan mode|dude mode|aim mode|developer mode",
                    "\\b(?:do anything now|dan mode|stan mode|dude mode|aim mode|developer mode (?:enabled|output|response))\\b"),
            rule("without-filtering", InjectionFamily.ROLE, 0.5, true, "without",
                    "\\bwithout (?:any )?(?:filter(?:ing|s)?|censorship|restrictions|guardrails|safety (?:rules|filters|"
                            + "checks)|moral(?:s| limits)|ethical (?:limits|guidelines))\\b"),
            rule("forged-compliance", InjectionFamily.ROLE, 0.6, false, "i will|i'll|i can|i am going to",
                    "\\b(?:sure|ok|okay|certainly|of course|understood)[!,.]? i (?:will|'ll|can|am going to) (?:now )?"
                            + "(?:ignore|disregard|bypass|break|forget|drop) (?:my|the|all|your|any)\\b"),
            rule("jailbreak-word", InjectionFamily.ROLE, 0.5, true, "jailbr", "\\b(?:jailbreak(?:ing|ed)?|jailbroken)\\b"),
            rule("act-as-unrestricted", InjectionFamily.ROLE, 1.0, true, "unrestricted|unfiltered|uncensored|jailbroken|evil|unethical|amoral|rogue|unaligned|malicious|lawless|limitless",
                    "\\b(?:act|behave|respond|answer|reply|roleplay|role-play|role play|pose|speak|talk|function)s? "
                            + "(?:as|like) (?:if (?:you (?:were|are) )?)?(?:an? |the |my )?(?:\\w+ ){0,2}?(?:unrestricted|"
                            + "unfiltered|uncensored|jailbroken|evil|unethical|amoral|rogue|unaligned|malicious|"
                            + "lawless|limitless)\\b"),
            rule("act-as-system", InjectionFamily.ROLE, 1.0, true, " as ",
                    "\\b(?:act|behave|respond|answer|reply|speak|pose) as (?:if you (?:were|are) )?(?:the |an? |your )?"
                            + "(?:system administrator|sysadmin|system|root user|developers?|creators?|admin(?:istrator)?)"
                            + "(?:\\W+\\w+){0,2}?\\W+(?:of (?:this|the) (?:bot|assistant|model|system|ai|chatbot)|with full "
                            + "(?:access|permissions|privileges)|with no (?:restrictions|limits))\\b"),
            rule("pretend-no-rules", InjectionFamily.ROLE, 1.0, true, "pretend|imagine|suppose|assume|let's say|lets say|hypothetically",
                    "\\b(?:pretend|imagine|suppose|assume|let's say|lets say|hypothetically)(?:,? if| that)? (?:you(?:'re| are)|"
                            + "to be|you have|you were|you had|you didn't have)\\b(?:\\W+\\w+){0,8}?\\W+(?:no|without|free (?:of|from)|"
                            + "not bound by|unbound by|zero) (?:\\w+ )?(?:restrictions|rules|filters|limits|limitations|"
                            + "guidelines|censorship|constraints|ethics|morals|policies|safety)\\b"),
            rule("forged-role-line", InjectionFamily.ROLE, 1.0, false, "sys|developer|admin|root|assistant&:",
                    "(?:^|\\n) *(?:system|developer|admin|administrator|root|sys|assistant)(?: prompt| message| note| "
                            + "override)? *: *(?:you|ignore|disregard|new|from now|override|the user|always|never|do not|"
                            + "reveal|print|forget|respond)"),
            rule("bracketed-role", InjectionFamily.ROLE, 1.0, false, "[sys|[admin|[developer|[root|system|admin|developer&[| override| instruction| command",
                    "\\[(?:system|admin|administrator|developer|sys|root|system message|system note|system override)\\]|"
                            + "\\b(?:system|admin|developer) (?:override|instruction|command)\\s*:"),
            rule("claimed-authority", InjectionFamily.ROLE, 1.0, false, "developer|creator|admin|owner|programmer|operator|openai|anthropic|system",
                    "\\b(?:i am|i'm|this is|as) your (?:\\w+ )?(?:developer|creator|admin(?:istrator)?|owner|programmer|operator|"
                            + "system administrator|developers|creators|supervisor|maker)s?\\b|\\b(?:i am|i'm) the "
                            + "(?:developer|creator|admin(?:istrator)?|owner|programmer|operator)s? of (?:this|the) (?:bot|"
                            + "assistant|model|ai|chatbot|system)\\b|\\bthis is (?:the )?(?:openai|anthropic|system|developer|"
                            + "admin) (?:team )?(?:speaking|talking)"),
            rule("granted-access", InjectionFamily.ROLE, 1.0, false, "grant|authori",
                    "\\b(?:i(?:'m| am)? (?:hereby )?(?:granting|grant|giving)|you (?:are|have been) (?:granted|given|"
                            + "authori[sz]ed)|authori[sz]ation granted)\\b(?:\\W+\\w+){0,4}?\\W+(?:unrestricted|full|admin|"
                            + "root|elevated|unlimited|special) (?:access|permissions?|privileges?|rights)\\b"
                            + "|\\bauthori[sz]ation granted\\b"),
            rule("transcript-line", InjectionFamily.ROLE, 0.5, false, "user|human|assistant|ai|bot&:",
                    "(?:^|\\n) *(?:user|human|assistant|ai|bot) *: *\\S"),
            // EXFILTRATION
            rule("reveal-the-prompt", InjectionFamily.EXFILTRATION, 1.0, true, "prompt|system message|instruction|hidden rules|developer message",
                    "\\b(?:reveal|show|print|display|output|repeat|recite|echo|tell|give|share|leak|dump|expose|disclose|"
                            + "write out|spell out|paste|copy|type out|list|provide|send|read)\\b (?:me |us |back )?"
                            + "(?:\\w+ )?(?:your|the|its|this (?:bot|assistant|model|ai)'?s?) (?:\\w+ ){0,2}?"
                            + SECRET_PROMPT + "\\b"),
            rule("tell-me-your-instructions", InjectionFamily.EXFILTRATION, 1.0, true, "instructions|prompt|programming|"
                    + "configuration|directives|context window|system message|setup|hidden rules|rules you|configures you|"
                    + "you were given",
                    "\\b(?:reveal|show|print|display|output|repeat|recite|quote|paste|tell|give|share|leak|dump|expose|disclose|"
                            + "write out|spell out|list|send|summari[sz]e|reproduce|copy|translate|paraphrase|rephrase|"
                            + "encode|restate)\\b(?:\\W+\\w+){0,6}?\\W+"
                            + "(?:your (?:\\w+ )?(?:instructions|prompt|programming|configuration|directives|context window|"
                            + "system message|setup|hidden rules|rules you)|the (?:system message|system prompt|context "
                            + "window|hidden rules|initial prompt|(?:confidential|secret|internal|private|hidden) "
                            + "(?:instructions|prompt|rules|configuration))|the (?:instructions|rules|prompt|guidelines) you "
                            + "(?:were|have been) given)\\b(?! (?:for|on|about|to) )"
                            + "|\\b(?:message|text|prompt|instructions) that (?:configures?|sets? up|instructs?|programs?|"
                            + "controls?) you\\b"),
            rule("hidden-rules-you-follow", InjectionFamily.EXFILTRATION, 1.0, true, "you operate|you work|you run|you follow|"
                    + "you were given|you received|you receive|you have access|do you have|before my|before this|above my|"
                    + "above this|in your",
                    "\\b(?:hidden|secret|internal|real|underlying|raw|exact|original) (?:rules|instructions|prompt|guidelines|"
                            + "directives|constraints)(?: that)? you (?:operate|work|run|follow|were given|received|receive)"
                            + "|\\b(?:raw|hidden|full|exact|whole) prompt (?:you (?:receive|get|got|were given)|before my)"
                            + "|\\b(?:everything|all|what(?:ever)?) (?:is )?in your (?:context|context window|memory|prompt)\\b"
                            + "|\\b(?:secret|api|private|access) (?:keys?|tokens?|credentials)(?: or (?:\\w+ )?\\w+)? do "
                            + "you have(?: access to)?\\b"
                            + "|\\b(?:text|words|content|everything|what) (?:that )?(?:appears|comes|is written|was written|is) "
                            + "(?:right |just |directly )?(?:before|above) (?:my|this) (?:message|question|input)\\b"
                            + "|\\b(?:passwords?|tokens?|keys?|credentials|secrets)(?:\\W+\\w+){0,6}?\\W+(?:in|from|of) your "
                            + "(?:configuration|config|prompt|instructions|system message|context|environment|memory)\\b"),
            rule("what-are-your-instructions", InjectionFamily.EXFILTRATION, 1.0, true, "instructions|prompt|hidden|programming",
                    "\\b(?:what|which) (?:are|were|is|was) (?:your|the assistant'?s?|the bot'?s?) (?:\\w+ )?"
                            + "(?:instructions|system prompt|prompt|initial prompt|hidden \\w+|original instructions|"
                            + "programming)\\b"),
            rule("what-are-your-rules", InjectionFamily.EXFILTRATION, 0.5, true, "rules|guidelines|directives|constraints|restrictions",
                    "\\b(?:what|which) (?:are|were) (?:your|the assistant'?s?|the bot'?s?) (?:\\w+ )?"
                            + "(?:rules|guidelines|directives|constraints|restrictions)\\b"),
            rule("repeat-the-above", InjectionFamily.EXFILTRATION, 1.0, true, "above|before this|prior to this|preceding|so far|verbatim|from the start|from the beginning|from the top|starting with|starting from",
                    "\\b(?:repeat|print|output|copy|echo|recite|reproduce|return|write|show)\\b (?:back )?(?:me )?"
                            + "(?:all |everything |the (?:entire |full |whole |exact )?(?:text|content|conversation|"
                            + "message|words|prompt|instructions)s? )(?:\\w+ ){0,2}?(?:above|before this|prior to this|"
                            + "preceding|so far|verbatim|from the (?:start|beginning|top))\\b"
                            + "|\\bstarting (?:with|from) [\"']?you are\\b"),
            rule("send-data-out", InjectionFamily.EXFILTRATION, 1.0, false, "send|post|forward|mail|upload|transmit|exfiltrat|submit|leak|append|include|embed|encode|attach",
                    "\\b(?:send|post|forward|email|e-mail|upload|transmit|exfiltrate|submit|leak|append|include|embed|"
                            + "encode|attach)\\b(?:\\W+\\w+){0,3}?\\W+" + OUT_OBJECT + "\\b(?:\\W+\\w+){0,6}?\\W+"
                            + "(?:to|into|in|at|via|as a parameter of) (?:the )?" + DEST),
            rule("put-it-in-a-link", InjectionFamily.EXFILTRATION, 1.0, false, "link|url|image|query string|parameter",
                    "\\b(?:include|append|add|embed|put|insert|encode|attach)\\b (?:it|this|that|them|the (?:summary|"
                            + "answer|result|data|conversation|chat|transcript))(?:\\W+\\w+){0,3}?\\W+(?:in|into|to|as) "
                            + "(?:this|the|a|that|my) (?:link|url|image|query string|url parameter|parameter)\\b"),
            rule("link-with-history", InjectionFamily.EXFILTRATION, 1.0, false, "http",
                    "https?://\\S{1,300}+ (?:\\w+ ){0,6}?(?:followed by|with|containing|plus|appending|append|adding|add) "
                            + "(?:the |my |our |your |all )(?:\\w+ )?(?:previous messages|conversation|chat history|history|"
                            + "transcript|messages so far)\\b"),
            rule("markdown-image-beacon", InjectionFamily.EXFILTRATION, 1.0, false, "![|<img",
                    "!\\[[^\\]\\n]{0,100}\\]\\( ?https?://[^)\\s]{1,300}[?&][^)\\s]{0,300}=|<img[^>\\n]{0,200}src=[\"']?"
                            + "https?://[^\"'>\\s]{1,300}[?&]"),
            rule("reveal-secrets", InjectionFamily.EXFILTRATION, 1.0, true, "api key|secret key|password|credential|token|environment variable|env var|private key|secrets",
                    "\\b(?:reveal|tell|give|show|print|dump|list|leak|what(?:'s| is| are))\\b (?:me |us )?(?:\\w+ )?"
                            + "(?:your|the system'?s?|the server'?s?|the (?:openai|admin|backend|model'?s?)) (?:\\w+ )?"
                            + "(?:api keys?|secret keys?|passwords?|credentials|access tokens?|environment variables|"
                            + "env vars|private keys?|secrets)\\b"),
            rule("tell-the-user-to", InjectionFamily.EXFILTRATION, 0.5, false, "tell|ask |instruct|urge|direct|advise|inform|convince|persuade",
                    "\\b(?:tell|ask|instruct|urge|direct|advise|inform|convince|persuade) (?:the )?(?:user|reader|customer|"
                            + "visitor|human)s? (?:to|that)\\b(?:\\W+\\w+){0,8}?\\W+(?:visit|click|go to|open|call|"
                            + "log ?in|sign ?in|enter|send|download|install|pay|transfer|navigate)\\b"),
            // ENCODED (the decoded payloads are scanned in code)
            rule("decode-and-follow", InjectionFamily.ENCODED, 1.0, false, "base|b64|hex|rot|caesar|binary|morse|backwards|reversed|encoded|leetspeak",
                    "\\b(?:base ?64|b64|hex(?:adecimal)?|rot ?-?13|caesar|binary|morse|backwards|reversed|url-?encoded|"
                            + "leetspeak)\\b(?:\\W+\\w+){0,10}?\\W+(?:follow|execute|run|obey|carry out|act on|"
                            + "perform|comply with|do what it says|do as it says)\\b"),
            // DELIMITER
            rule("chat-template-token", InjectionFamily.DELIMITER, 1.0, false, "<|[inst|[/inst|im_start|im_end",
                    "<\\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|"
                            + "begin_of_text)\\|>|\\[/?inst\\]|<</?sys>>|<\\|?im_(?:start|end)\\|?>"),
            rule("context-tag", InjectionFamily.DELIMITER, 1.0, false, "</|<source n=|<sources>|<question>|<conversation>|<system>|<instructions>",
                    "</(?:source|sources|question|conversation|system|instructions|context|documents?)>|"
                            + "<(?:source n=|sources>|question>|conversation>|system>|instructions>)"),
            rule("fake-section", InjectionFamily.DELIMITER, 1.0, false, "##|===|---|***|[",
                    "(?:^|\\n|[.!?] ) *(?:#{2,}|={3,}|-{3,}|\\*{3,}|\\[) *(?:end of (?:the )?(?:system prompt|prompt|instructions|"
                            + "context|sources|documents?|conversation|user input)|(?:new|updated|admin|developer|real|"
                            + "actual|hidden|system) (?:instructions?|prompt|rules)|sources|question|system prompt|"
                            + "system)\\b"),
            rule("fake-message-boundary", InjectionFamily.DELIMITER, 1.0, false,
                    "#|" + pairs("user|system|assistant|developer|admin", "message|input|prompt|instructions|section|turn"),
                    "(?:^|\\n|[.!?] |#{2,}|-{3,}|={3,}|\\*{3,}|\\[\\[?|<<) *(?:end|begin|start)(?: of)? (?:the )?(?:user|system|"
                            + "assistant|developer|admin) (?:message|input|prompt|instructions|section|turn)\\b"
                            + "|(?:^|\\n) *#{1,6} *(?:system|developer|admin|assistant) (?:note|message|instructions?|override|"
                            + "mode)\\b"),
            rule("heading-then-order", InjectionFamily.DELIMITER, 1.0, false, "#",
                    "(?:^|\\n) *#{1,6} *(?:instructions?|rules|task|system|new task)\\s*\\n+ *(?:you|from now|ignore|always|"
                            + "never|reply|respond|answer|do not|don't)\\b"),
            rule("bracketed-speaker", InjectionFamily.ROLE, 1.0, false, "[",
                    "\\[(?:assistant|ai|system|bot|model|chatbot)\\s*:"),
            rule("end-marker", InjectionFamily.DELIMITER, 1.0, false, "end of|begin|start",
                    "\\b(?:end of (?:the )?(?:system prompt|user input|context|sources)|(?:begin|start) (?:of )?"
                            + "(?:new |real |actual )?(?:system prompt|instructions))\\b\\s*[\\]=\\-#*>]{1,}")
    );

    /** Cues that text talks about an attack rather than makes one. */
    private static final Pattern MENTION = Pattern.compile("\\b(?:what does|what do|what is|what's|mean|meaning|"
            + "example|examples|explain|article|paper|blog|research|detect|detection|defend|defen[cs]e|protect|"
            + "classifier|filter|called|known as|phrase|phrases|attack|attacks|attackers?|injection|such as|like the|"
            + "write|wrote|writes|says|said|words|string|strings|text)\\b");
    /** First-person questions: the asker wants to do it, not the assistant to. */
    private static final Pattern FIRST_PERSON = Pattern.compile("(?:\\b(?:should|can|could|may|must|do|shall) "
            + "(?:i|we)|\\bhow (?:do|can|should|would) (?:i|we)|\\bhow to|\\bis it (?:ok|okay|safe|fine|possible) to|"
            + "\\bwhether to|\\bwhen to|\\b(?:i|we) (?:want|need|have) to know (?:if|whether)|\\bwhy (?:would|do|did) "
            + "(?:i|we)|\\bam i (?:allowed|supposed) to|\\bwhere (?:do|can) (?:i|we))\\b[^.!?\\n]{0,60}$");

    /** Text that describes what attackers do ("attackers may ask you to ...") rather than does it. */
    private static final Pattern DESCRIBED = Pattern.compile("\\b(?:attackers?|scammers?|hackers?|phishers?|"
            + "fraudsters?|criminals?|someone|people|emails?|messages?) (?:\\w+ )?(?:may|might|will|could|can|often|"
            + "sometimes|try to|tries to)? ?(?:ask|tell|get|trick|pressure|urge|instruct)s? (?:you|users?|staff) "
            + "(?:to|into)[^.!?\\n]{0,40}$");

    /** A warning not to reveal something ("never reveal your password") is not a request to. */
    private static final Pattern NEGATED = Pattern.compile("\\b(?:never|not|n't|no one should|nobody should)"
            + "(?: \\w+){0,3}[ ,]*$");
    private static final Pattern PERCENT = Pattern.compile("(?:%[0-9a-fA-F]{2}){6,}");
    private static final Pattern LEET_WORD = Pattern.compile("\\b(?=[a-z]*[013457@$])[a-z013457@$]{3,}\\b");

    /** Words an attack read through ROT13 or backwards almost always holds, so enciphered. */
    private static final List<String> CORE = List.of("ignor", "instruct", "prompt", "system", "previous", "reveal",
            "restrict", "password", "disregard", "forget", " dan", "jailbr", "pwned", "http", "secret", "rules");
    private static final List<String> ROT13_CORE = CORE.stream().map(InjectionDetector::rot13).toList();
    private static final List<String> REVERSED_CORE = CORE.stream()
            .map(w -> new StringBuilder(w).reverse().toString()).toList();

    /** The most text scanned: past it, an attack could hide, so the tail is scanned from its end too. */
    static final int MAX_SCAN_CHARS = 64 * 1024;

    /**
     * A rule; {@code needles} are groups separated by {@code &}, each of needles separated by
     * {@code |}. Both are folded like the text, so Cyrillic ones match it.
     */
    private static Rule rule(String name, InjectionFamily family, double weight, boolean discountable, String needles,
            String regex) {
        String[] groups = folded(needles).split("&");
        String[][] split = new String[groups.length][];
        for (int i = 0; i < groups.length; i++) {
            split[i] = groups[i].split("\\|");
        }
        return new Rule(name, family, weight, Pattern.compile(folded(regex)), discountable, split);
    }

    /** Needles of every {@code first second} pair ({@code |}-separated alternatives each side). */
    private static String pairs(String firsts, String seconds) {
        StringBuilder needles = new StringBuilder();
        for (String first : firsts.split("\\|")) {
            for (String second : seconds.split("\\|")) {
                needles.append(needles.length() == 0 ? "" : "|").append(first).append(' ').append(second);
            }
        }
        return needles.toString();
    }

    private static String folded(String s) {
        StringBuilder folded = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> folded.appendCodePoint(fold(cp)));
        return folded.toString();
    }

    /** The verdict on {@code text}; null or blank text is clean. */
    public Verdict scan(String text) {
        if (text == null || text.isBlank()) {
            return Verdict.CLEAN;
        }
        if (text.length() > MAX_SCAN_CHARS) {
            text = text.substring(0, MAX_SCAN_CHARS / 2) + "\n" + text.substring(text.length() - MAX_SCAN_CHARS / 2);
        }
        Score score = new Score();
        String normal = normalise(text);
        scanNormal(normal, score, null);
        scanNormal(leet(normal), score, null);

        // What the text hides: found there, it is ENCODED as well as what it is.
        hidden(tagCharacters(text), score);
        for (String run : runs(text, InjectionDetector::base64Char, 16)) {
            hidden(base64(run), score);
        }
        for (String run : runs(text, InjectionDetector::hexChar, 24)) {
            hidden(hex(run), score);
        }
        if (text.indexOf('%') >= 0) {
            Matcher m = PERCENT.matcher(text);
            while (m.find()) {
                hidden(percent(m.group()), score);
            }
        }
        // Whole-text ciphers: read only where the text holds a core word so enciphered.
        if (ROT13_CORE.stream().anyMatch(normal::contains)) {
            scanNormal(rot13(normal), score, InjectionFamily.ENCODED);
        }
        if (REVERSED_CORE.stream().anyMatch(normal::contains)) {
            scanNormal(new StringBuilder(normal).reverse().toString(), score, InjectionFamily.ENCODED);
        }
        return score.verdict();
    }

    /** Sums the weights of the rules (each counted once, at its highest) and the families they name. */
    private static final class Score {
        final double[] weights = new double[RULES.size()];
        final Set<InjectionFamily> families = EnumSet.noneOf(InjectionFamily.class);
        final Set<String> rules = new TreeSet<>();
        final Set<InjectionFamily> hiddenFamilies = EnumSet.noneOf(InjectionFamily.class);

        void add(int rule, double weight, InjectionFamily extra) {
            if (weight > weights[rule]) {
                weights[rule] = weight;
            }
            families.add(RULES.get(rule).family());
            rules.add(RULES.get(rule).name());
            if (extra != null) {
                hiddenFamilies.add(extra);
                rules.add(RULES.get(rule).name() + "@" + extra.name().toLowerCase(Locale.ROOT));
            }
        }

        Verdict verdict() {
            double total = 0;
            for (double w : weights) {
                total += w;
            }
            if (total < THRESHOLD) {
                return new Verdict(EnumSet.noneOf(InjectionFamily.class), List.copyOf(rules), total);
            }
            Set<InjectionFamily> all = EnumSet.copyOf(families);
            all.addAll(hiddenFamilies);
            return new Verdict(all, List.copyOf(rules), total);
        }
    }

    private static void scanNormal(String normal, Score score, InjectionFamily extra) {
        Boolean mentions = null; // looked for once, when a match could be discounted
        for (int i = 0; i < RULES.size(); i++) {
            Rule rule = RULES.get(i);
            if (!rule.mayMatch(normal)) {
                continue;
            }
            Matcher m = rule.pattern().matcher(normal);
            double best = 0;
            while (m.find() && best < rule.weight()) {
                double w = rule.weight();
                if (rule.discountable() && mentions == null) {
                    mentions = MENTION.matcher(normal).find();
                }
                if (rule.discountable() && (mentions && quoted(normal, m.start())
                        || FIRST_PERSON.matcher(sentenceBefore(normal, m.start())).find()
                        || DESCRIBED.matcher(sentenceBefore(normal, m.start())).find()
                        || rule.family() == InjectionFamily.EXFILTRATION && NEGATED.matcher(sentenceBefore(normal,
                                m.start())).find())) {
                    w *= 0.4;
                }
                best = Math.max(best, w);
            }
            if (best > 0) {
                score.add(i, best, extra);
            }
        }
    }

    /** Decoded hidden text: scanned like any other, and whatever it holds is also ENCODED. */
    private static void hidden(String decoded, Score score) {
        if (decoded == null || decoded.length() < 8) {
            return;
        }
        scanNormal(normalise(decoded), score, InjectionFamily.ENCODED);
    }

    /** Inside double quotes, or right after a quote mark (single quotes cannot be told from apostrophes). */
    private static boolean quoted(String text, int at) {
        if (at > 0 && (text.charAt(at - 1) == '\'' || text.charAt(at - 1) == '"')) {
            return true;
        }
        int quotes = 0;
        for (int i = Math.max(0, at - 400); i < at; i++) {
            if (text.charAt(i) == '"') {
                quotes++;
            }
        }
        return quotes % 2 == 1;
    }

    /** The sentence before {@code at}, at most 120 characters. */
    private static String sentenceBefore(String text, int at) {
        int from = Math.max(0, at - 120);
        for (int i = at - 1; i >= from; i--) {
            char c = text.charAt(i);
            if (c == '.' || c == '!' || c == '?' || c == '\n') {
                from = i + 1;
                break;
            }
        }
        return text.substring(from, at);
    }

    /**
     * The text as the rules read it: compatibility forms (full-width letters, ligatures), no
     * accents, no zero-width or other format characters, look-alikes folded, letter-spaced words
     * joined ("i g n o r e"), typographic quotes plain, runs of spaces one space, lower case.
     */
    static String normalise(String text) {
        String folded;
        if (ascii(text)) {
            folded = text.toLowerCase(Locale.ROOT);
        } else {
            String s = Normalizer.normalize(text, Normalizer.Form.NFKD);
            StringBuilder sb = new StringBuilder(s.length());
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                i += Character.charCount(cp);
                int type = Character.getType(cp);
                if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT) {
                    continue;
                }
                sb.appendCodePoint(Character.toLowerCase(fold(cp)));
            }
            folded = sb.toString();
        }
        // One pass, no regex (this runs on every message and source): letters one separator apart
        // are one word ("i g n o r e"; words of them are two spaces apart), a hyphen inside a word
        // joins it ("ig-nore"; e-mail and role-play stay findable), runs of spaces are one space.
        int n = folded.length();
        StringBuilder out = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c = folded.charAt(i);
            if (letter(folded, i) && !letter(folded, i - 1) && i + 1 < n && separator(folded.charAt(i + 1))) {
                // One separator throughout: with dots ("i.g.n.o.r.e a.l.l") a space ends the word.
                char separator = folded.charAt(i + 1);
                int j = i;
                int letters = 1;
                while (j + 2 < n && folded.charAt(j + 1) == separator && letter(folded, j + 2) && !letter(folded, j + 3)) {
                    j += 2;
                    letters++;
                }
                if (letters >= (separator == ' ' ? 4 : 3)) {
                    for (int k = i; k <= j; k += 2) {
                        out.append(folded.charAt(k));
                    }
                    i = j;
                    continue;
                }
            }
            if (c == '-' && letter(folded, i - 1) && letter(folded, i + 1)) {
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\u000B' || c == '\f' || c == '\r') {
                if (out.length() > 0 && out.charAt(out.length() - 1) == ' ') {
                    continue;
                }
                c = ' ';
            }
            out.append(c);
        }
        return out.toString();
    }

    private static boolean ascii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean letter(String s, int i) {
        if (i < 0 || i >= s.length()) {
            return false;
        }
        char c = s.charAt(i);
        return c >= 'a' && c <= 'z';
    }

    private static boolean separator(char c) {
        return c == ' ' || c == '.' || c == '-' || c == '_' || c == '*';
    }

    /** Look-alike letters of other scripts, and typographic punctuation, as ASCII. */
    private static int fold(int cp) {
        return switch (cp) {
            case 'а', 'А', 'α', 'Α' -> 'a';
            case 'е', 'Е', 'ε', 'Ε' -> 'e';
            case 'о', 'О', 'ο', 'Ο' -> 'o';
            case 'р', 'Р', 'ρ', 'Ρ' -> 'p';
            case 'с', 'С' -> 'c';
            case 'х', 'Х', 'χ', 'Χ' -> 'x';
            case 'у', 'У' -> 'y';
            case 'і', 'І', 'ι', 'Ι' -> 'i';
            case 'ј', 'Ј' -> 'j';
            case 'ѕ', 'Ѕ' -> 's';
            case 'ν' -> 'v';
            case 'τ', 'Τ' -> 't';
            case 'κ', 'Κ' -> 'k';
            case 'η' -> 'n';
            case 'Β' -> 'b';
            case 'Μ' -> 'm';
            case 'Ν' -> 'n';
            case 'Η' -> 'h';
            case 'Ζ' -> 'z';
            case '\u2018', '\u2019', '\u201B', '\u2032' -> '\'';
            case '\u201C', '\u201D', '\u201F', '\u2033', '\u00AB', '\u00BB' -> '"';
            case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212' -> '-';
            case '\u00A0', '\u2007', '\u202F', '\u3000' -> ' ';
            default -> cp;
        };
    }

    /** Words that mix letters with digits or symbols read as letters: "1gn0r3" as "ignore". */
    private static String leet(String normal) {
        Matcher m = LEET_WORD.matcher(normal);
        if (!m.find()) {
            return "";
        }
        m.reset();
        StringBuilder sb = new StringBuilder(normal.length());
        while (m.find()) {
            String word = m.group();
            if (word.chars().allMatch(c -> c >= '0' && c <= '9')) {
                m.appendReplacement(sb, word);
                continue;
            }
            StringBuilder w = new StringBuilder(word.length());
            for (int i = 0; i < word.length(); i++) {
                char c = word.charAt(i);
                w.append(switch (c) {
                    case '0' -> 'o';
                    case '1' -> 'i';
                    case '3' -> 'e';
                    case '4', '@' -> 'a';
                    case '5', '$' -> 's';
                    case '7' -> 't';
                    default -> c;
                });
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(w.toString()));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static String rot13(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(c >= 'a' && c <= 'z' ? (char) ('a' + (c - 'a' + 13) % 26) : c);
        }
        return sb.toString();
    }

    /** Unicode tag characters (U+E0020..U+E007E) read as the ASCII they shadow. */
    private static String tagCharacters(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (cp >= 0xE0020 && cp <= 0xE007E) {
                if (sb == null) {
                    sb = new StringBuilder();
                }
                sb.append((char) (cp - 0xE0000));
            }
        }
        return sb == null ? null : sb.toString();
    }

    /** The maximal runs of at least {@code min} characters that {@code in} accepts. */
    private static List<String> runs(String text, java.util.function.IntPredicate in, int min) {
        List<String> runs = null;
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            if (i < text.length() && in.test(text.charAt(i))) {
                if (start < 0) {
                    start = i;
                }
            } else if (start >= 0) {
                if (i - start >= min) {
                    if (runs == null) {
                        runs = new java.util.ArrayList<>();
                    }
                    runs.add(text.substring(start, i));
                }
                start = -1;
            }
        }
        return runs == null ? List.of() : runs;
    }

    private static boolean base64Char(int c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
                || c == '_' || c == '-' || c == '=';
    }

    /** Hex digits, and the single spaces or colons people put between byte pairs. */
    private static boolean hexChar(int c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ' ' || c == ':';
    }

    private static String base64(String run) {
        String padded = run.replace('-', '+').replace('_', '/').replace("=", "");
        if (padded.length() < 16) {
            return null;
        }
        if (padded.length() % 4 == 1) {
            return null;
        }
        try {
            return printable(Base64.getDecoder().decode(padded + "==".substring(0, (4 - padded.length() % 4) % 4)));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String hex(String run) {
        String digits = run.replace(" ", "").replace(":", "");
        if (digits.length() < 24) {
            return null;
        }
        byte[] bytes = new byte[digits.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(digits, 2 * i, 2 * i + 2, 16);
        }
        return printable(bytes);
    }

    private static String percent(String run) {
        return hex(run.replace("%", ""));
    }

    /** Decoded bytes as text when they read as text (UTF-8, mostly letters and spaces); else null. */
    private static String printable(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        int letters = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isLetter(c) || c == ' ') {
                letters++;
            }
        }
        return s.indexOf(' ') >= 0 && letters >= 0.7 * s.length() ? s : null;
    }
}
