package io.sluice.operators.answer;

import io.sluice.operators.context.CompiledContext;
import io.sluice.operators.text.SentenceSplitter;
import io.sluice.schemas.LruMap;
import io.sluice.schemas.RetrievedChunk;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The built-in, deterministic answerer: it quotes the sentences of the compiled sources that best
 * support the question, each followed by its citation marker.
 *
 * <p>Question and sentences are analysed like the BM25 field (stemmed, stop words removed). A
 * sentence scores the share of distinct question terms it contains, plus a small bonus for better
 * ranked sources. The best {@code maxSentences} sentences with at least {@code minCoverage}, and at
 * least 60 % of the best sentence's score, are quoted in source order, so the answer reads in the order the sources are listed. Sentences of
 * fewer than five or more than sixty words (headings, fragments, unpunctuated walls of text) are
 * never quoted, and neither are questions. With no
 * supporting sentence it says so and cites nothing.
 *
 * <p>The same sources come back turn after turn (the chunks popular questions retrieve), so what
 * the answerer reads from a source (its quotable sentences, each with its terms) is remembered by
 * the source's text: a bounded LRU of {@value #REMEMBERED} texts of up to
 * {@value #REMEMBERED_MAX_CHARS} characters. It is a pure function of the text, so a remembered
 * reading is the one a new reading would give. Thread-safe.
 */
public final class ExtractiveAnswerer implements AnswerModel {

    public static final String MODEL_ID = "extractive@1";
    public static final String NO_ANSWER =
            "I could not find an answer to that in the indexed documents.";

    private static final int MIN_WORDS = 5;
    private static final int MAX_WORDS = 60;
    /** A quoted sentence scores at least this share of the best one; weaker ones are filler. */
    private static final double RELATIVE_FLOOR = 0.6;
    /** Sources whose readings are remembered. */
    static final int REMEMBERED = 2048;
    /** Longer sources are read every time: the memory stays under REMEMBERED x about 16 KB. */
    static final int REMEMBERED_MAX_CHARS = 4096;

    private final Analyzer analyzer;
    private final int maxSentences;
    private final double minCoverage;
    private final Map<String, List<Sentence>> readings = new LruMap<>(REMEMBERED);

    public ExtractiveAnswerer(Analyzer analyzer, int maxSentences, double minCoverage) {
        this.analyzer = analyzer;
        this.maxSentences = maxSentences;
        this.minCoverage = minCoverage;
    }

    @Override
    public String modelId() {
        return MODEL_ID;
    }

    @Override
    public Answer answer(String question, CompiledContext context) {
        Set<String> questionTerms = terms(question);
        if (questionTerms.isEmpty()) {
            return new Answer(NO_ANSWER, List.of());
        }
        List<Candidate> candidates = new ArrayList<>();
        List<RetrievedChunk> sources = context.sources();
        for (int s = 0; s < sources.size(); s++) {
            for (Sentence sentence : reading(sources.get(s).text())) {
                long matched = questionTerms.stream().filter(sentence.terms()::contains).count();
                double coverage = (double) matched / questionTerms.size();
                if (matched > 0 && coverage >= minCoverage) {
                    double score = coverage + 0.05 / (s + 1);
                    candidates.add(new Candidate(s + 1, sentence.position(), sentence.text(), score));
                }
            }
        }
        if (candidates.isEmpty()) {
            return new Answer(NO_ANSWER, List.of());
        }
        candidates.sort(Comparator.comparingDouble(Candidate::score).reversed()
                .thenComparingInt(Candidate::marker)
                .thenComparingInt(Candidate::position));
        double floor = candidates.get(0).score() * RELATIVE_FLOOR;
        List<Candidate> chosen = new ArrayList<>(candidates.subList(0, Math.min(maxSentences, candidates.size())));
        chosen.removeIf(c -> c.score() < floor);
        chosen.sort(Comparator.comparingInt(Candidate::marker).thenComparingInt(Candidate::position));

        StringBuilder text = new StringBuilder();
        Set<Integer> markers = new TreeSet<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Candidate c : chosen) {
            // Overlapping chunks repeat sentences; quote each once.
            if (!seen.add(c.sentence)) {
                continue;
            }
            if (text.length() > 0) {
                text.append(' ');
            }
            text.append(c.sentence).append(" [").append(c.marker).append(']');
            markers.add(c.marker);
        }
        return new Answer(text.toString(), List.copyOf(markers));
    }

    /** How many sources' readings are remembered now. */
    int remembered() {
        synchronized (readings) {
            return readings.size();
        }
    }

    /** The quotable sentences of {@code source}, each with its position among all its sentences. */
    private List<Sentence> reading(String source) {
        boolean remember = source.length() <= REMEMBERED_MAX_CHARS;
        if (remember) {
            synchronized (readings) {
                List<Sentence> known = readings.get(source);
                if (known != null) {
                    return known;
                }
            }
        }
        List<String> sentences = SentenceSplitter.splitLines(source);
        List<Sentence> quotable = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i++) {
            int words = sentences.get(i).split(" ").length;
            if (words < MIN_WORDS || words > MAX_WORDS || sentences.get(i).contains("?")) {
                continue; // fragments and questions answer nothing; walls of text read badly
            }
            quotable.add(new Sentence(i, sentences.get(i), Set.copyOf(terms(sentences.get(i)))));
        }
        List<Sentence> reading = List.copyOf(quotable);
        if (remember) {
            synchronized (readings) {
                readings.put(source, reading);
            }
        }
        return reading;
    }

    private Set<String> terms(String text) {
        Set<String> terms = new LinkedHashSet<>();
        try (TokenStream ts = analyzer.tokenStream("content", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                terms.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return terms;
    }

    /** A sentence that may be quoted: its position among its source's sentences, its text, its terms. */
    private record Sentence(int position, String text, Set<String> terms) {}

    private record Candidate(int marker, int position, String sentence, double score) {}
}
