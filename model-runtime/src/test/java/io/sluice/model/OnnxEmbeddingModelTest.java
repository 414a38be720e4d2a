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

    /**
     * Replay recomputes query embeddings in whatever batches it forms, so a text's vector must not
     * depend on its batch: ONNX Runtime's CPU kernels do not mix rows, and padding is masked out.
     */
    @Test
    void aTextEmbedsBitForBitTheSameAloneAndInAnyBatch() {
        String text = "Reciprocal rank fusion combines ranked lists.";
        float[] alone = model.embed(text);
        List<List<String>> batches = List.of(
                List.of("A much longer sentence that forces padding on the other row of the batch.", text),
                List.of(text, "Short."),
                java.util.Collections.nCopies(8, text));
        for (List<String> batch : batches) {
            assertThat(model.embed(batch).get(batch.indexOf(text))).as("in %s", batch).containsExactly(alone);
        }
    }

    @Test
    void cudaFallsBackToCpuWhereThereIsNoGpu() {
        try (EmbeddingModel cuda = EmbeddingModels.open(EmbeddingModels.BUNDLED_MINILM,
                new RuntimeOptions(1, 1, RuntimeOptions.ExecutionProvider.CUDA))) {
            // This test runs where no GPU is visible to ONNX Runtime (CI has none).
            assertThat(cuda.embed("same input")).containsExactly(model.embed("same input"));
        }
    }

    @Test
    void theQuantisedTwinIsCloseButNotEqual() {
        try (EmbeddingModel q = EmbeddingModels.open(EmbeddingModels.BUNDLED_MINILM_QUANTIZED, 1)) {
            assertThat(q.card().qualifiedId()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2@onnx-int8-1");
            float[] a = model.embed("Kafka partitions keep records in order.");
            float[] b = q.embed("Kafka partitions keep records in order.");
            assertThat(Vectors.dot(a, b)).isGreaterThan(0.9f).isLessThan(1f);
        }
    }

    @Test
    void anUnknownBundledNameListsTheBundledModels() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EmbeddingModels.open("bundled:nope", 1))
                .hasMessageContaining("bundled:all-minilm-l6-v2");
    }

    @Test
    void countsTokensWithoutSpecialTokens() {
        assertThat(model.tokenCounter().count("hello world")).isEqualTo(2);
        assertThat(model.tokenCounter().count("")).isZero();
    }
}
