package io.sluice.model;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Runs the real bundled MiniLM through ONNX Runtime. */
class OnnxEmbeddingModelTest {

    private static EmbeddingModel model;

    @BeforeAll
    static void open() {
        model = EmbeddingModels.open(EmbeddingModels.BUNDLED_MINILM, 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void vectorsAreUnitLengthWithTheCardsDimension() {
        float[] v = model.embed("Flink checkpoints keyed state to durable storage.");
        assertThat(v).hasSize(384);
        assertThat(Vectors.dot(v, v)).isCloseTo(1f, within(1e-4f));
    }

    @Test
    void similarSentencesAreCloserThanUnrelatedOnes() {
        List<float[]> v = model.embed(List.of(
                "How do I reset my password?",
                "Steps to change a forgotten account password",
                "The recipe needs two cups of flour."));
        assertThat(Vectors.dot(v.get(0), v.get(1))).isGreaterThan(Vectors.dot(v.get(0), v.get(2)) + 0.2f);
    }

    @Test
    void aTextEmbedsTheSameAloneAndInABatch() {
        String text = "Reciprocal rank fusion combines ranked lists.";
        float[] alone = model.embed(text);
        float[] batched = model.embed(List.of("A much longer sentence that forces padding on the other row of the batch.", text)).get(1);
        for (int i = 0; i < alone.length; i++) {
            assertThat(batched[i]).isCloseTo(alone[i], within(1e-4f));
        }
    }

    @Test
    void countsTokensWithoutSpecialTokens() {
        assertThat(model.tokenCounter().count("hello world")).isEqualTo(2);
        assertThat(model.tokenCounter().count("")).isZero();
    }
}
