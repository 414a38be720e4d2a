package io.sluice.operators.routing;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class IntentClassifierTest {

    private final IntentClassifier classifier = new IntentClassifier();

    @Test
    void classifiesByWordsAndShape() {
        assertThat(classifier.classify("Hi there!")).isEqualTo(IntentClassifier.GREETING);
        assertThat(classifier.classify("thanks")).isEqualTo(IntentClassifier.GREETING);
        assertThat(classifier.classify("How do snapshots work?")).isEqualTo(IntentClassifier.LOOKUP);
        assertThat(classifier.classify("When was the index promoted?")).isEqualTo(IntentClassifier.LOOKUP);
        assertThat(classifier.classify("Compare RocksDB and heap state for long conversations"))
                .isEqualTo(IntentClassifier.ANALYSIS);
        assertThat(classifier.classify("Why does the checkpoint take so long?")).isEqualTo(IntentClassifier.ANALYSIS);
        assertThat(classifier.classify("what are the pros and cons of exactly-once sinks"))
                .isEqualTo(IntentClassifier.ANALYSIS);
        assertThat(classifier.classify("My job fails with this stack trace, what is wrong"))
                .isEqualTo(IntentClassifier.CODE);
        assertThat(classifier.classify("fix this:\nint x = compute(a, b);\n")).isEqualTo(IntentClassifier.CODE);
        assertThat(classifier.classify("```\nselect 1\n```")).isEqualTo(IntentClassifier.CODE);
    }

    @Test
    void aGreetingThatAsksSomethingIsNotOnlyAGreeting() {
        assertThat(classifier.classify("Hello, where are the savepoints of the serving job stored these days?"))
                .isEqualTo(IntentClassifier.LOOKUP);
    }

    @Test
    void aLongMessageAsksForMoreThanALookup() {
        String longQuestion = "Tell me about the index. ".repeat(20);
        assertThat(longQuestion.length()).isGreaterThan(IntentClassifier.LONG_MESSAGE_CHARS);
        assertThat(classifier.classify(longQuestion)).isEqualTo(IntentClassifier.ANALYSIS);
        assertThat(classifier.classify(longQuestion.substring(0, IntentClassifier.LONG_MESSAGE_CHARS - 10)))
                .isEqualTo(IntentClassifier.LOOKUP);
    }

    @Test
    void hostileInputCostsLinearTime() {
        long seed = System.nanoTime();
        System.out.println("IntentClassifierTest seed " + seed);
        Random random = new Random(seed);
        String[] pieces = {"a", "(", ")", ";", " ", "\t", "\n", "{", "}", "x(", "why", "compile", "`", "hello "};
        for (int round = 0; round < 10; round++) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < 32_000) {
                sb.append(pieces[random.nextInt(pieces.length)]);
            }
            String text = sb.toString();
            long t0 = System.nanoTime();
            String first = classifier.classify(text);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            // Generous: a quadratic pattern takes minutes on 32,000 characters, a linear one milliseconds.
            assertThat(millis).as("classify time of a hostile text (seed %d)", seed).isLessThan(5_000);
            assertThat(classifier.classify(text)).isEqualTo(first);
        }
        for (String worst : new String[] {"a".repeat(32_000), "f(" + "a".repeat(32_000), "x(".repeat(16_000),
                ";" + " ".repeat(32_000) + "a"}) {
            long t0 = System.nanoTime();
            classifier.classify(worst);
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
        }
    }
}
