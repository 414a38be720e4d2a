package io.sluice.operators.text;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits text into sentences: first at blank lines and markdown headings (paragraph breaks), then
 * with the JDK's sentence rules under {@link Locale#ROOT} so that the result never depends on the
 * machine's locale. Whitespace inside a sentence is collapsed.
 */
public final class SentenceSplitter {

    private SentenceSplitter() {}

    public static List<String> split(String text) {
        List<String> sentences = new ArrayList<>();
        if (text == null) {
            return sentences;
        }
        for (String paragraph : text.split("\\n\\s*\\n|\\n(?=#)")) {
            String flat = paragraph.replaceAll("\\s+", " ").strip();
            if (flat.isEmpty()) {
                continue;
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
        return sentences;
    }
}
