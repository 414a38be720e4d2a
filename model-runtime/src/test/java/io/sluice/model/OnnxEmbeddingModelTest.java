package io.sluice.model;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
     * Replay recomputes query embeddings in whatever batches it forms, and a backfill's batches depend
     * on its parallelism, so a text's vector must not depend on its batch: ONNX Runtime's CPU kernels
     * do not mix rows and padding is masked out, except in the int8 models, whose activations are
     * quantised with one scale per batch; those embed one text per call.
     */
    @ParameterizedTest
    @ValueSource(strings = {EmbeddingModels.BUNDLED_MINILM, EmbeddingModels.BUNDLED_MINILM_QUANTIZED,
        EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED})
    void aTextEmbedsBitForBitTheSameAloneAndInAnyBatch(String bundled) {
        try (EmbeddingModel m = EmbeddingModels.open(bundled, 1)) {
            String text = "Reciprocal rank fusion combines ranked lists.";
            float[] alone = m.embed(text);
            List<List<String>> batches = List.of(
                    List.of("A much longer sentence that forces padding on the other row of the batch.", text),
                    List.of(text, "Short."),
                    List.of("Completely different words: 12345 ZZZ qqq!!! Ærø", text),
                    java.util.Collections.nCopies(8, text));
            for (List<String> batch : batches) {
                assertThat(m.embed(batch).get(batch.indexOf(text))).as("in %s", batch).containsExactly(alone);
            }
            // The fp32 model keeps its batches; the int8 ones run a text per call.
            assertThat(m.embedsTextsTogether()).isEqualTo(!bundled.endsWith("-q"));
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
    void bgeEmbedsQueriesWithItsInstructionAndPassagesWithout() {
        try (EmbeddingModel bge = EmbeddingModels.open(EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED, 1)) {
            assertThat(bge.card().pooling()).isEqualTo(ModelCard.Pooling.CLS);
            assertThat(bge.card().maxTokens()).isEqualTo(512);
            String question = "Where does Flink keep large keyed state?";
            float[] query = bge.embedQueries(List.of(question)).get(0);
            assertThat(query).hasSize(384);
            assertThat(Vectors.dot(query, query)).isCloseTo(1f, within(1e-4f));
            // The instruction is part of the query's input, not of a passage's.
            assertThat(query).containsExactly(bge.embed(bge.card().queryPrefix() + question));
            assertThat(Vectors.dot(query, bge.embed(question))).isLessThan(0.999f);
            List<float[]> passages = bge.embed(List.of(
                    "RocksDB holds keyed state on local disk and checkpoints it incrementally.",
                    "The recipe needs two cups of flour."));
            assertThat(Vectors.dot(query, passages.get(0))).isGreaterThan(Vectors.dot(query, passages.get(1)) + 0.1f);
        }
        // Symmetric models embed a query as they embed any text.
        assertThat(model.embedQueries(List.of("same input")).get(0)).containsExactly(model.embed("same input"));
    }

    /**
     * The count that comes with a query's vector is what the context budget would count for the
     * query: without bge's instruction and the special tokens, and the whole query where the model
     * reads only its first 512 (or 256) tokens. The vectors are those of {@code embedQueries}, also
     * through the concurrent calls the embed stage makes.
     */
    @ParameterizedTest
    @ValueSource(strings = {EmbeddingModels.BUNDLED_MINILM_QUANTIZED, EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED})
    void aQueryVectorComesWithTheQuerysOwnTokenCount(String bundled) {
        String longQuestion = "Which of these words matter most to the answer: "
                + "checkpoint barrier watermark savepoint ".repeat(120) + "?";
        List<String> questions = List.of("Where does Flink keep large keyed state?", "Short", longQuestion,
                "A question, with punctuation; numbers 1,234 and résumé-style accents!");
        try (EmbeddingModel m = EmbeddingModels.open(bundled, 1);
                EmbeddingModel concurrent = new ConcurrentEmbedding(m, () -> { }, 2)) {
            TokenCounter tokens = m.tokenCounter();
            assertThat(tokens.count(longQuestion)).isGreaterThan(m.card().maxTokens());
            for (EmbeddingModel model : List.of(m, concurrent)) {
                List<EmbeddingModel.QueryVector> counted = model.embedQueriesCounted(questions);
                List<float[]> vectors = m.embedQueries(questions);
                for (int i = 0; i < questions.size(); i++) {
                    assertThat(counted.get(i).tokens()).as(questions.get(i)).isEqualTo(tokens.count(questions.get(i)));
                    assertThat(counted.get(i).vector()).containsExactly(vectors.get(i));
                }
            }
        }
    }

    @Test
    void aModelDirectoryCardMayNameAQueryPrefix(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Files.writeString(dir.resolve(ModelCard.FILE_NAME),
                "id=acme/e5\nversion=1\ndimension=384\nmax-tokens=512\npooling=mean\nquery-prefix=query:\\u0020\n");
        assertThat(ModelCard.read(dir).queryPrefix()).isEqualTo("query: ");
        java.nio.file.Files.writeString(dir.resolve(ModelCard.FILE_NAME), "id=acme/m\nversion=1\ndimension=8\n");
        assertThat(ModelCard.read(dir).queryPrefix()).isEmpty();
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
