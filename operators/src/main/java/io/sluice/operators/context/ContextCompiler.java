package io.sluice.operators.context;

import io.sluice.model.TokenCounter;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.Hashing;
import io.sluice.schemas.LruMap;
import io.sluice.schemas.RetrievedChunk;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Packs the question, recent turns and retrieved chunks into a context under a token budget.
 *
 * <p>Priorities: the question always goes in. Sources come next in rank order, up to
 * {@code sourceShare} of what remains (a source that does not fit is skipped, a smaller one after
 * it may still fit). Recent turns fill what is left, newest first. Any budget still free then takes
 * further sources. The text is rendered in a fixed order — conversation (oldest first), numbered
 * sources, question — so equal inputs give byte-equal contexts and equal hashes.
 *
 * <p>The structure cannot be forged by what it holds: each section is a tagged block
 * ({@code <conversation>}, {@code <sources>} with {@code <source n="i">}, {@code <question>}) and
 * every piece of text inside one — questions, answers, titles, document text — is escaped
 * ({@code &}, {@code <}, {@code >} as entities), so a question or a document that writes
 * {@code </source>} or {@code <source n="9">} writes text, not a source. A bare {@code [9]} in a
 * question creates no source either: sources exist only as blocks, and an answer's markers are
 * checked against them ({@link io.sluice.operators.answer.CitationFilter}).
 *
 * <p>Token counts come from the model's tokenizer. Sections are joined by newlines, which the
 * tokenizer treats as whitespace, so the total is the sum of the sections' counts. A source's count
 * comes with it from the backfill where the snapshot has it, and a history turn's from when it was
 * answered, so a request counts only its question and the final text. Those stored counts are of
 * the unescaped text (and a turn's, of the format it was answered under), so they are estimates; the
 * final count is exact: while the context does not fit, the last-added source is dropped, then the
 * oldest turn.
 *
 * <p>Counting the whole context is the costly part of compiling it (a tokenizer pass over every
 * source, every turn). When the tokenizer's counts add up over lines ({@link
 * TokenCounter#countsAddUpOverLines()}, as BERT's do), the exact count is the sum of its blocks'
 * counts, each block (a numbered source, a turn) is counted once and remembered (a bounded LRU of
 * {@value #REMEMBERED_BLOCKS} blocks: the same sources and turns come back request after request),
 * and the text is not counted as a whole. Then the question need not be counted either when its
 * count comes with it from the embed stage, which tokenised it for the model (a count from the same
 * model, {@code countsOf}, and of a question that escaping leaves as it is). Instances are not
 * thread-safe; an operator has its own.
 */
public final class ContextCompiler {

    private static final String HISTORY_OPEN = "<conversation>";
    private static final String HISTORY_CLOSE = "</conversation>";
    private static final String SOURCES_OPEN = "<sources>";
    private static final String SOURCES_CLOSE = "</sources>";
    private static final String QUESTION_OPEN = "<question>";
    private static final String QUESTION_CLOSE = "</question>";

    /** Blocks whose counts are remembered; about 1 KB of text each. */
    static final int REMEMBERED_BLOCKS = 4096;

    private final TokenCounter tokens;
    /** The qualified id of the model whose tokenizer {@link #tokens} is; null: counts from elsewhere are not used. */
    private final String countsOf;
    private final double sourceShare;
    private final int questionTagTokens;
    private final int sourceTagTokens;
    private final int headerTokens;
    private final int historyTagTokens;
    private final int sourcesTagTokens;
    /** Exact counts of rendered blocks, when counts add up over lines; else null. */
    private final Map<String, Integer> blockCounts;

    public ContextCompiler(TokenCounter tokens) {
        this(tokens, null, 0.75);
    }

    public ContextCompiler(TokenCounter tokens, double sourceShare) {
        this(tokens, null, sourceShare);
    }

    /**
     * @param countsOf the qualified id ({@code id@version}) of the embedding model whose tokenizer
     *     {@code tokens} is: a question's count by that model comes with it and is used as it is
     */
    public ContextCompiler(TokenCounter tokens, String countsOf) {
        this(tokens, countsOf, 0.75);
    }

    private ContextCompiler(TokenCounter tokens, String countsOf, double sourceShare) {
        if (sourceShare < 0 || sourceShare > 1) {
            throw new IllegalArgumentException("sourceShare must be in [0, 1]");
        }
        this.tokens = tokens;
        this.countsOf = countsOf;
        this.sourceShare = sourceShare;
        this.questionTagTokens = tokens.count(QUESTION_OPEN + "\n" + QUESTION_CLOSE);
        // The tags around a source; its number rarely changes the count, and the final count is exact.
        this.sourceTagTokens = tokens.count(renderSource(1, "", ""));
        this.sourcesTagTokens = tokens.count(SOURCES_OPEN + "\n" + SOURCES_CLOSE);
        this.historyTagTokens = tokens.count(HISTORY_OPEN + "\n" + HISTORY_CLOSE);
        this.headerTokens = sourcesTagTokens + historyTagTokens;
        this.blockCounts = tokens.countsAddUpOverLines() ? new LruMap<>(REMEMBERED_BLOCKS) : null;
    }

    public CompiledContext compile(String question, List<ConversationTurn> history,
            List<RetrievedChunk> ranked, int budget) {
        return compile(question, 0, null, history, ranked, budget);
    }

    /**
     * As {@link #compile(String, List, List, int)}, with the question's token count
     * {@code questionTokens} by the tokenizer of model {@code countedBy} (0 or null: not known).
     */
    public CompiledContext compile(String question, int questionTokens, String countedBy,
            List<ConversationTurn> history, List<RetrievedChunk> ranked, int budget) {
        String escaped = escape(question);
        String questionSection = QUESTION_OPEN + "\n" + escaped + "\n" + QUESTION_CLOSE;
        // The section's count is the sum of its lines' when counts add up over lines; escaping returns
        // the question itself when it changes nothing, and only then is the model's count the text's.
        boolean known = questionTokens > 0 && blockCounts != null && countsOf != null && countsOf.equals(countedBy)
                && escaped == question;
        int used = known ? questionTagTokens + questionTokens : tokens.count(questionSection);

        int remaining = budget - used - headerTokens;

        boolean[] sourceIn = new boolean[ranked.size()];
        int[] sourceCost = new int[ranked.size()];
        for (int i = 0; i < ranked.size(); i++) {
            RetrievedChunk c = ranked.get(i);
            sourceCost[i] = c.tokens() > 0 ? sourceTagTokens + c.tokens() : tokens.count(renderSource(1, c));
        }
        int sourceBudget = (int) Math.floor(Math.max(0, remaining) * sourceShare);
        int sourcesUsed = take(sourceIn, sourceCost, sourceBudget);
        remaining -= sourcesUsed;

        List<ConversationTurn> turnsIn = new ArrayList<>();
        for (int i = history.size() - 1; i >= 0; i--) {
            ConversationTurn t = history.get(i);
            int cost = t.tokens() > 0 ? t.tokens() : turnTokens(t);
            if (cost > remaining) {
                break;
            }
            turnsIn.add(0, history.get(i));
            remaining -= cost;
        }
        remaining -= take(sourceIn, sourceCost, remaining);

        List<RetrievedChunk> sources = new ArrayList<>();
        for (int i = 0; i < ranked.size(); i++) {
            if (sourceIn[i]) {
                sources.add(ranked.get(i));
            }
        }
        int count = exactCount(questionSection, used, turnsIn, sources);
        while (count > budget && !(sources.isEmpty() && turnsIn.isEmpty())) {
            if (!sources.isEmpty()) {
                sources.remove(sources.size() - 1);
            } else {
                turnsIn.remove(0);
            }
            count = exactCount(questionSection, used, turnsIn, sources);
        }
        String text = render(questionSection, turnsIn, sources);
        return new CompiledContext(text, count, sources, turnsIn, Hashing.sha256Hex(text));
    }

    /**
     * The count of the context of these turns and sources: the sum of its blocks' counts when counts
     * add up over lines, else a count of the whole rendered text.
     */
    private int exactCount(String questionSection, int questionTokens, List<ConversationTurn> turns,
            List<RetrievedChunk> sources) {
        if (blockCounts == null) {
            return tokens.count(render(questionSection, turns, sources));
        }
        int count = questionTokens;
        if (!turns.isEmpty()) {
            count += historyTagTokens;
            for (ConversationTurn t : turns) {
                count += blockCount(renderTurn(t));
            }
        }
        if (!sources.isEmpty()) {
            count += sourcesTagTokens;
            for (int i = 0; i < sources.size(); i++) {
                count += blockCount(renderSource(i + 1, sources.get(i)));
            }
        }
        return count;
    }

    /** The count of a rendered block: remembered when counts add up over lines. */
    private int blockCount(String block) {
        if (blockCounts == null) {
            return tokens.count(block);
        }
        Integer known = blockCounts.get(block);
        if (known == null) {
            known = tokens.count(block);
            blockCounts.put(block, known);
        }
        return known;
    }

    /** The tokens a turn takes in a context: counted once, when the turn joins the history. */
    public int turnTokens(ConversationTurn turn) {
        // Remembered as a block too: the next turn's context holds this one.
        return blockCount(renderTurn(turn));
    }

    /** Marks sources (in rank order) that fit into {@code budget}; returns the tokens taken. */
    private static int take(boolean[] in, int[] cost, int budget) {
        int taken = 0;
        for (int i = 0; i < in.length; i++) {
            if (!in[i] && taken + cost[i] <= budget) {
                in[i] = true;
                taken += cost[i];
            }
        }
        return taken;
    }

    private static String render(String questionSection, List<ConversationTurn> turns,
            List<RetrievedChunk> sources) {
        StringBuilder sb = new StringBuilder();
        if (!turns.isEmpty()) {
            sb.append(HISTORY_OPEN).append('\n');
            for (ConversationTurn t : turns) {
                sb.append(renderTurn(t)).append('\n');
            }
            sb.append(HISTORY_CLOSE).append('\n');
        }
        if (!sources.isEmpty()) {
            sb.append(SOURCES_OPEN).append('\n');
            for (int i = 0; i < sources.size(); i++) {
                sb.append(renderSource(i + 1, sources.get(i))).append('\n');
            }
            sb.append(SOURCES_CLOSE).append('\n');
        }
        return sb.append(questionSection).toString();
    }

    private static String renderTurn(ConversationTurn t) {
        return "<user>\n" + escape(t.question()) + "\n</user>\n<assistant>\n" + escape(t.answer()) + "\n</assistant>";
    }

    private static String renderSource(int marker, RetrievedChunk c) {
        return renderSource(marker, escape(c.displayTitle()), escape(c.text()));
    }

    private static String renderSource(int marker, String escapedTitle, String escapedText) {
        return "<source n=\"" + marker + "\">\n" + escapedTitle + "\n" + escapedText + "\n</source>";
    }

    /**
     * {@code text} as data inside a block: {@code &}, {@code <} and {@code >} as entities, so that
     * no text can open or close a block. Models read entities as the characters they stand for.
     */
    public static String escape(String text) {
        if (text.indexOf('&') < 0 && text.indexOf('<') < 0 && text.indexOf('>') < 0) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                default -> sb.append(ch);
            }
        }
        return sb.toString();
    }
}
