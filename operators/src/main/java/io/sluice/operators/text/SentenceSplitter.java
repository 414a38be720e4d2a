package io.sluice.operators.text;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Splits text into sentences: paragraphs (separated by blank lines) go through the JDK's sentence
 * rules under {@link Locale#ROOT}, so that the result never depends on the machine's locale.
 * Markdown structure that has no sentence punctuation is split by line instead: a heading, a list
 * item, a table row (cells joined by "; ", separator rows dropped) and a line of a fenced code block
 * each start a unit of their own. Whitespace inside a sentence is collapsed.
 */
public final class SentenceSplitter {

    private static final Pattern LIST_ITEM = Pattern.compile("^([-*+]|\\d+[.)])\\s+");
    private static final Pattern TABLE_SEPARATOR = Pattern.compile("^\\|?[\\s:|-]+\\|?$");

    private SentenceSplitter() {}

    public static List<String> split(String text) {
        List<String> sentences = new ArrayList<>();
        if (text == null) {
            return sentences;
        }
        StringBuilder paragraph = new StringBuilder();
        boolean inFence = false;
        for (String line : text.split("\n", -1)) {
            String stripped = line.strip();
            if (stripped.startsWith("```")) {
                flush(paragraph, sentences);
                inFence = !inFence;
            } else if (inFence) {
                addUnit(stripped, sentences);
            } else if (stripped.isEmpty()) {
                flush(paragraph, sentences);
            } else if (stripped.startsWith("#")) {
                flush(paragraph, sentences);
                addUnit(stripped.replaceFirst("^#+\\s*", ""), sentences);
            } else if (stripped.startsWith("|")) {
                flush(paragraph, sentences);
                if (!TABLE_SEPARATOR.matcher(stripped).matches()) {
                    addUnit(tableRow(stripped), sentences);
                }
            } else if (LIST_ITEM.matcher(stripped).find()) {
                flush(paragraph, sentences);
                paragraph.append(LIST_ITEM.matcher(stripped).replaceFirst("")).append(' ');
            } else {
                paragraph.append(stripped).append(' ');
            }
        }
        flush(paragraph, sentences);
        return sentences;
    }

    /**
     * Splits text that holds one unit per line (chunk text as the {@code Chunker} writes it): each
     * line is a unit, split further only where it holds several sentences.
     */
    public static List<String> splitLines(String text) {
        List<String> sentences = new ArrayList<>();
        if (text == null) {
            return sentences;
        }
        StringBuilder line = new StringBuilder();
        for (String l : text.split("\n")) {
            line.append(l);
            flush(line, sentences);
        }
        return sentences;
    }

    private static String tableRow(String row) {
        StringBuilder sb = new StringBuilder();
        for (String cell : row.split("\\|")) {
            String c = cell.strip();
            if (!c.isEmpty()) {
                if (sb.length() > 0) {
                    sb.append("; ");
                }
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static void addUnit(String unit, List<String> sentences) {
        String flat = collapseWhitespace(unit).strip();
        if (!flat.isEmpty()) {
            sentences.add(flat);
        }
    }

    /**
     * {@code text} with every run of whitespace as regular expressions know it ({@code \s}: space,
     * tab, line feed, vertical tab, form feed, carriage return) made one space: what
     * {@code replaceAll("\\s+", " ")} returns, without compiling and running a pattern for every
     * paragraph of every source of every answer.
     */
    static String collapseWhitespace(CharSequence text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean inRun = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r') {
                if (!inRun) {
                    out.append(' ');
                    inRun = true;
                }
            } else {
                out.append(c);
                inRun = false;
            }
        }
        return out.toString();
    }

    private static void flush(StringBuilder paragraph, List<String> sentences) {
        String flat = collapseWhitespace(paragraph).strip();
        paragraph.setLength(0);
        if (flat.isEmpty()) {
            return;
        }
        BreakIterator it = BreakIterator.getSentenceInstance(Locale.ROOT);
        it.setText(flat);
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            String sentence = flat.substring(start, end).strip();
            if (!sentence.isEmpty()) {
                sentences.add(sentence);
            }
        }
    }
}
