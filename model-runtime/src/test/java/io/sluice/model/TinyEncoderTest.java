package io.sluice.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

class TinyEncoderTest {

    @Test
    void loadsAsAUserModelAndEmbedsDeterministically(@TempDir Path dir) {
        Path model = TinyEncoder.write(dir.resolve("tiny"));
        List<String> words = TinyEncoder.WORDS;
        String a = words.get(1) + " " + words.get(2) + " " + words.get(3);
        String b = words.get(400) + " " + words.get(900);
        try (EmbeddingModel encoder = EmbeddingModels.open(model.toString(), 1)) {
            assertThat(encoder.card().qualifiedId()).isEqualTo(TinyEncoder.ID + "@1");
            List<float[]> vectors = encoder.embed(List.of(a, b, a));
            assertThat(vectors).allSatisfy(v -> assertThat(v).hasSize(TinyEncoder.DIMENSION));
            assertThat(Vectors.dot(vectors.get(0), vectors.get(0))).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
            // Padding in a batch must not change a text's vector, and different texts differ.
            assertThat(vectors.get(2)).containsExactly(encoder.embed(List.of(a)).get(0),
                    org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(Vectors.dot(vectors.get(0), vectors.get(1))).isLessThan(0.99f);
        }
        // Same seed, same bytes: a test that builds it twice gets the same model.
        assertThat(TinyEncoder.onnx()).isEqualTo(TinyEncoder.onnx());
    }
}
