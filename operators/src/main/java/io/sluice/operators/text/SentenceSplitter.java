package io.sluice.operators.text;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits text into sentences: first at blank lines, then with the JDK's sentence rules under
 * {@link Locale#ROOT} so that the result never depends on the machine's locale. A markdown heading
 * line is a sentence of its own, without its {@code #} marks. Whitespace inside a sentence is
 * collapsed.
 */
public final class SentenceSplitter {

    private SentenceSplitter() {}

    public static List<String> split(String text) {
        List<String> sentences = new ArrayList<>();
        if (text == null) {
            return sentences;
        }
        StringBuilder paragraph = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            String stripped = line.strip();
            if (stripped.isEmpty()) {
                flush(paragraph, sentences);
            } else if (stripped.startsWith("#")) {
                flush(paragraph, sentences);
                String heading = stripped.replaceFirst("^#+\\s*", "");
                if (!heading.isEmpty()) {
                    sentences.add(heading.replaceAll("\\s+", " "));
                }
            } else {
                paragraph.append(stripped).append(' ');
            }
        }
        flush(paragraph, sentences);
        return sentences;
    }

    private static void flush(StringBuilder paragraph, List<String> sentences) {
        String flat = paragraph.toString().replaceAll("\\s+", " ").strip();
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
