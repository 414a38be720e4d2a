package io.sluice.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A sentence-embedding model in ONNX format run by ONNX Runtime through DJL: tokenise, run the
 * encoder, pool the token vectors ({@link ModelCard.Pooling}), L2-normalise.
 *
 * <p>The ONNX session is thread-safe; each call uses its own short-lived predictor and NDManager so
 * that native memory is released when the call returns.
 */
public final class OnnxEmbeddingModel implements EmbeddingModel {

    static {
        DjlSetup.offline();
    }

    private static final Logger LOG = LoggerFactory.getLogger(OnnxEmbeddingModel.class);

    /** The ONNX file name inside a model directory. */
    public static final String MODEL_FILE = "model.onnx";
    /** The tokenizer file name inside a model directory. */
    public static final String TOKENIZER_FILE = "tokenizer.json";

    /** Two texts of different length and content: whether either changes the other's vector in a batch. */
    private static final List<String> PROBE = List.of("A short probe.",
            "A longer probe sentence with other words and the number 1234, which pads the first row of the batch.");

    private final ModelCard card;
    private final HfTokenizer tokenizer;
    private final ZooModel<NDList, NDList> model;
    /**
     * Whether a text's vector is the same whatever else is in its batch. It is not for models whose
     * activations are quantised dynamically (both bundled int8 models: ONNX Runtime's
     * DynamicQuantizeLinear takes one scale from the whole input tensor, so the other rows of a batch
     * move a row's vector in its last bits). Such models embed one text per call: replay, a cache and
     * a backfill at any parallelism then get the same vector for the same text. On one intra-op thread
     * that is faster than padded batches of texts of mixed lengths, and some 15 % slower for texts of
     * one length (docs/BENCHMARKS.md).
     */
    private final boolean rowsIndependent;
    /**
     * What to take off a query's whole token count (special tokens and the query prefix) to get the
     * query's own count; -1 when that difference is not the query's count
     * (see {@link #queryCountOffset(ModelCard, HfTokenizer)}).
     */
    private final int queryCountOffset;

    private OnnxEmbeddingModel(ModelCard card, HfTokenizer tokenizer, ZooModel<NDList, NDList> model,
            boolean rowsIndependent) {
        this.card = card;
        this.tokenizer = tokenizer;
        this.model = model;
        this.rowsIndependent = rowsIndependent;
        this.queryCountOffset = queryCountOffset(card, tokenizer);
    }

    /**
     * The tokens of a query's whole encoding that are not the query's: the special tokens and the
     * query prefix. Only when counts add up over whitespace and the prefix ends at a whitespace is
     * the prefix's count the same inside the query as alone; otherwise -1, and queries are counted
     * by their callers.
     */
    private static int queryCountOffset(ModelCard card, HfTokenizer tokenizer) {
        String prefix = card.queryPrefix();
        if (!tokenizer.countsAddUpOverLines()
                || (!prefix.isEmpty() && !Character.isWhitespace(prefix.charAt(prefix.length() - 1)))) {
            return -1;
        }
        return tokenizer.addedSpecialTokens() + tokenizer.count(prefix);
    }

    /** Whether a batch's rows are independent, so texts are embedded in batches; else one per call. */
    @Override
    public boolean embedsTextsTogether() {
        return rowsIndependent;
    }

    /** This model, embedding one text per call if a batch changes the vectors of its rows. */
    private static OnnxEmbeddingModel probed(OnnxEmbeddingModel batching) {
        List<Embedded> together = batching.embedBatch(PROBE);
        for (int i = 0; i < PROBE.size(); i++) {
            if (!java.util.Arrays.equals(together.get(i).vector(),
                    batching.embedBatch(PROBE.subList(i, i + 1)).get(0).vector())) {
                LOG.info("Embedding model {}: a text's vector depends on the other texts of its batch (dynamically "
                        + "quantised activations); embedding one text per call", batching.card.qualifiedId());
                return new OnnxEmbeddingModel(batching.card, batching.tokenizer, batching.model, false);
            }
        }
        return batching;
    }

    /**
     * Loads a model directory: {@code model.onnx}, {@code tokenizer.json} and
     * {@code model-card.properties}.
     */
    public static OnnxEmbeddingModel load(Path directory, RuntimeOptions options) throws IOException {
        ModelCard card = ModelCard.read(directory);
        return load(directory, card, options);
    }

    static OnnxEmbeddingModel load(Path directory, ModelCard card, RuntimeOptions options)
            throws IOException {
        Path onnx = directory.resolve(MODEL_FILE);
        if (!Files.isRegularFile(onnx)) {
            throw new IOException("Model directory " + directory + " has no " + MODEL_FILE);
        }
        HfTokenizer tokenizer = HfTokenizer.load(directory.resolve(TOKENIZER_FILE), card.maxTokens());
        try {
            ZooModel<NDList, NDList> model = null;
            if (options.provider() == RuntimeOptions.ExecutionProvider.CUDA) {
                model = loadOnGpu(directory, options);
            }
            if (model == null) {
                model = criteria(directory, options, Device.cpu()).loadModel();
            }
            LOG.info("Loaded embedding model {} (dimension {}) on {} with {} intra-op / {} inter-op threads from {}",
                    card.qualifiedId(), card.dimension(), model.getNDManager().getDevice(),
                    options.intraOpThreads(), options.interOpThreads(), directory);
            try {
                return probed(new OnnxEmbeddingModel(card, tokenizer, model, true));
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        } catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
            tokenizer.close();
            throw new IOException("Cannot load ONNX model from " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The CUDA session, or null (with the reason logged) when CUDA cannot be used here. */
    private static ZooModel<NDList, NDList> loadOnGpu(Path directory, RuntimeOptions options) {
        int gpus = Engine.getEngine("OnnxRuntime").getGpuCount();
        if (gpus == 0) {
            LOG.warn("Execution provider CUDA requested, but ONNX Runtime sees no GPU (build with "
                    + "-Pgpu for onnxruntime_gpu, and check the CUDA driver); falling back to CPU");
            return null;
        }
        try {
            return criteria(directory, options, Device.gpu()).loadModel();
        } catch (Exception | UnsatisfiedLinkError e) {
            LOG.warn("Execution provider CUDA failed to start ({}); falling back to CPU", e.toString());
            return null;
        }
    }

    private static Criteria<NDList, NDList> criteria(Path directory, RuntimeOptions options, Device device) {
        return Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(directory)
                .optModelName("model")
                .optEngine("OnnxRuntime")
                .optDevice(device)
                .optTranslator(new NoopTranslator())
                // DJL applies intra-op threads only together with inter-op threads: set both.
                .optOption("interOpNumThreads", Integer.toString(options.interOpThreads()))
                .optOption("intraOpNumThreads", Integer.toString(options.intraOpThreads()))
                .build();
    }

    @Override
    public ModelCard card() {
        return card;
    }

    @Override
    public TokenCounter tokenCounter() {
        return tokenizer;
    }

    @Override
    public List<float[]> embed(List<String> texts) {
        return embedCounted(texts).stream().map(Embedded::vector).toList();
    }

    @Override
    public List<QueryVector> embedQueriesCounted(List<String> queries) {
        List<Embedded> whole = embedCounted(card.asQueries(queries));
        List<QueryVector> out = new ArrayList<>(whole.size());
        for (Embedded e : whole) {
            int tokens = queryCountOffset < 0 ? 0 : Math.max(0, e.wholeTokens() - queryCountOffset);
            out.add(new QueryVector(e.vector(), tokens));
        }
        return out;
    }

    /** A text's vector and its whole token count: special tokens included, before truncation. */
    private record Embedded(float[] vector, int wholeTokens) {}

    private List<Embedded> embedCounted(List<String> texts) {
        if (rowsIndependent || texts.size() < 2) {
            return embedBatch(texts);
        }
        List<Embedded> vectors = new ArrayList<>(texts.size());
        for (String text : texts) {
            vectors.add(embedBatch(List.of(text)).get(0));
        }
        return vectors;
    }

    /** The texts' vectors from one run of the model over them as one padded batch, with their whole counts. */
    private List<Embedded> embedBatch(List<String> texts) {
        if (texts.isEmpty()) {
            return List.of();
        }
        HfTokenizer.Batch batch = tokenizer.encodeBatch(texts);
        Shape shape = new Shape(batch.rows(), batch.width());
        try (NDManager manager = model.getNDManager().newSubManager();
                Predictor<NDList, NDList> predictor = model.newPredictor()) {
            NDArray ids = manager.create(batch.ids(), shape);
            ids.setName("input_ids");
            NDArray mask = manager.create(batch.attentionMask(), shape);
            mask.setName("attention_mask");
            NDArray types = manager.create(batch.typeIds(), shape);
            types.setName("token_type_ids");
            NDList output = predictor.predict(new NDList(ids, mask, types));
            // One copy out of the runtime: toFloatArray() would copy its byte buffer a second time.
            FloatBuffer hidden = output.get(0).toByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
            return pool(hidden, batch);
        } catch (TranslateException e) {
            throw new IllegalStateException("Embedding inference failed for model "
                    + card.qualifiedId() + ": " + e.getMessage(), e);
        }
    }

    private List<Embedded> pool(FloatBuffer hidden, HfTokenizer.Batch batch) {
        int dim = card.dimension();
        if (hidden.remaining() != batch.rows() * batch.width() * dim) {
            throw new IllegalStateException("Model " + card.qualifiedId() + " returned "
                    + hidden.remaining() + " values; expected rows x tokens x dimension = "
                    + batch.rows() + " x " + batch.width() + " x " + dim
                    + " (is the dimension in the model card right?)");
        }
        List<Embedded> vectors = new ArrayList<>(batch.rows());
        for (int row = 0; row < batch.rows(); row++) {
            float[] v = new float[dim];
            int base = row * batch.width();
            if (card.pooling() == ModelCard.Pooling.CLS) {
                hidden.get(base * dim, v, 0, dim);
            } else {
                int used = 0;
                for (int t = 0; t < batch.width(); t++) {
                    if (batch.attentionMask()[base + t] == 0) {
                        continue;
                    }
                    used++;
                    int offset = (base + t) * dim;
                    for (int d = 0; d < dim; d++) {
                        v[d] += hidden.get(offset + d);
                    }
                }
                for (int d = 0; d < dim; d++) {
                    v[d] /= Math.max(1, used);
                }
            }
            vectors.add(new Embedded(Vectors.normalize(v), batch.wholeLengths()[row]));
        }
        return vectors;
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }

}
