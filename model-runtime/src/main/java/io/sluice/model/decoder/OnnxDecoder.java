package io.sluice.model.decoder;

import io.sluice.model.HfTokenizer;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.TokenListener;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Token-by-token generation with a decoder-only ONNX model exported in the Hugging Face layout
 * (optimum's {@code text-generation-with-past}): inputs {@code input_ids}, {@code attention_mask},
 * optionally {@code position_ids}, and {@code past_key_values.N.key/value}; outputs {@code logits} and
 * {@code present.N.key/value}, in float32.
 *
 * <p>A batch of prompts is left-padded and decoded together; each step feeds one token per row and
 * the previous step's {@code present} tensors as the next {@code past}, without copying them out of
 * ONNX Runtime. Every row samples with its own generator seeded from its request, and padding is
 * masked out of attention, so a row's tokens do not depend on what else is in the batch.
 *
 * <p>The session is ONNX Runtime's own ({@code ai.onnxruntime}, the runtime DJL's engine wraps):
 * the KV cache needs named tensors passed from one run's outputs to the next run's inputs, which
 * DJL's {@code NDList} interface does not expose. The tokenizer is DJL's.
 */
public final class OnnxDecoder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxDecoder.class);

    static final String MODEL_FILE = "model.onnx";
    static final String TOKENIZER_FILE = "tokenizer.json";
    private static final String PAST = "past_key_values.";
    private static final String PRESENT = "present.";
    private static final String USE_CACHE_BRANCH = "use_cache_branch";

    private final DecoderCard card;
    private final HfTokenizer tokenizer;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final int layers;
    private final int heads;
    private final int headDim;
    private final boolean positionIds;
    /** Older optimum exports merge the first and later steps into one graph switched by this input. */
    private final boolean cacheBranch;
    private final Set<Long> stopIds;

    /** One prompt of a batch, how to sample its answer, and where its text goes as it is decoded. */
    public record Row(long[] prompt, GenerationParams params, TokenListener tokens) {}

    /** The answer of one row: its token ids, text, why it ended ({@code stop} or {@code length}). */
    public record Output(long[] tokens, String text, String finishReason, int promptTokens) {}

    private OnnxDecoder(DecoderCard card, HfTokenizer tokenizer, OrtEnvironment env, OrtSession session)
            throws IOException, OrtException {
        this.card = card;
        this.tokenizer = tokenizer;
        this.env = env;
        this.session = session;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        for (String required : List.of("input_ids", "attention_mask", PAST + "0.key")) {
            if (!inputs.containsKey(required)) {
                throw new IOException("Not a decoder with KV cache in the Hugging Face layout: no input '" + required
                        + "' (inputs: " + inputs.keySet() + "); export with optimum's text-generation-with-past task");
            }
        }
        if (!session.getOutputInfo().containsKey("logits")) {
            throw new IOException("The decoder has no 'logits' output (outputs: " + session.getOutputInfo().keySet() + ")");
        }
        int count = 0;
        while (inputs.containsKey(PAST + count + ".key")) {
            count++;
        }
        this.layers = count;
        TensorInfo past = (TensorInfo) inputs.get(PAST + "0.key").getInfo();
        if (past.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
            throw new IOException("The decoder's KV cache is " + past.type + "; Sluice runs float32 exports");
        }
        long[] shape = past.getShape(); // [batch, heads, past, head dim]
        if (shape.length != 4 || shape[1] < 1 || shape[3] < 1) {
            throw new IOException("Unexpected KV cache shape " + java.util.Arrays.toString(shape)
                    + "; expected [batch, heads, past_sequence, head_dim] with fixed heads and head_dim");
        }
        this.heads = (int) shape[1];
        this.headDim = (int) shape[3];
        this.positionIds = inputs.containsKey("position_ids");
        this.cacheBranch = inputs.containsKey(USE_CACHE_BRANCH);
        this.stopIds = new HashSet<>();
        for (String token : card.stopTokens()) {
            long[] ids = tokenizer.encode(token);
            if (ids.length != 1) {
                throw new IOException("Stop token '" + token + "' of " + card.qualifiedId()
                        + " is not one token of its tokenizer");
            }
            stopIds.add(ids[0]);
        }
    }

    /** Loads {@code model.onnx}, {@code tokenizer.json} and {@code model-card.properties} from {@code directory}. */
    public static OnnxDecoder load(Path directory, RuntimeOptions options) throws IOException {
        DecoderCard card = DecoderCard.read(directory);
        Path model = directory.resolve(MODEL_FILE);
        if (!Files.isRegularFile(model)) {
            throw new IOException("Decoder directory " + directory + " has no " + MODEL_FILE);
        }
        HfTokenizer tokenizer = HfTokenizer.load(directory.resolve(TOKENIZER_FILE), card.maxContext());
        try {
            OrtEnvironment env = OnnxRuntimeEnvironment.get();
            OrtSession session = OnnxRuntimeEnvironment.open(env, model, options);
            LOG.info("Loaded decoder {} from {} ({} intra-op threads)", card.qualifiedId(), directory,
                    options.intraOpThreads());
            return new OnnxDecoder(card, tokenizer, env, session);
        } catch (OrtException | IOException | RuntimeException e) {
            tokenizer.close();
            throw new IOException("Cannot load ONNX decoder from " + directory + ": " + e.getMessage(), e);
        }
    }

    public DecoderCard card() {
        return card;
    }

    /** The prompt's token ids; fails if it leaves no room to answer within the model's context. */
    public long[] encodePrompt(String prompt) {
        long[] ids = tokenizer.encode(prompt);
        if (ids.length == 0 || ids.length >= card.maxContext()) {
            throw new IllegalArgumentException("The prompt has " + ids.length + " tokens; " + card.qualifiedId()
                    + " takes at most " + (card.maxContext() - 1) + " before its answer");
        }
        return ids;
    }

    /**
     * Decodes every row to its end: a stop token, one of its stop strings, its token limit, or the
     * model's context. With {@code useCache} false every step recomputes the whole sequence instead
     * of feeding the KV cache (slow; tests compare the two).
     */
    public List<Output> generate(List<Row> rows, boolean useCache) throws OrtException {
        int batch = rows.size();
        RowState[] state = new RowState[batch];
        int width = 0;
        for (int i = 0; i < batch; i++) {
            state[i] = new RowState(rows.get(i));
            width = Math.max(width, rows.get(i).prompt().length);
        }
        int steps = 0;
        for (RowState s : state) {
            steps = Math.max(steps, s.limit);
        }
        OrtSession.Result previous = null;
        try {
            // Step 0 reads the prompts; every later step reads one new token per row.
            for (int step = 0; step < steps; step++) {
                Map<String, OnnxTensor> inputs = new HashMap<>();
                List<OnnxTensor> owned = new ArrayList<>();
                try {
                    boolean whole = step == 0 || !useCache;
                    int length = whole ? width + step : 1;
                    long[] ids = new long[batch * length];
                    long[] positions = new long[batch * length];
                    long[] mask = new long[batch * (width + step)];
                    for (int b = 0; b < batch; b++) {
                        state[b].fill(b, width, step, whole, ids, positions, mask, card.maxContext());
                    }
                    owned.add(put(inputs, "input_ids", ids, batch, length));
                    owned.add(put(inputs, "attention_mask", mask, batch, width + step));
                    if (positionIds) {
                        owned.add(put(inputs, "position_ids", positions, batch, length));
                    }
                    if (cacheBranch) {
                        OnnxTensor branch = OnnxTensor.createTensor(env, new boolean[] {!whole});
                        owned.add(branch);
                        inputs.put(USE_CACHE_BRANCH, branch);
                    }
                    for (int l = 0; l < layers; l++) {
                        for (String part : new String[] {".key", ".value"}) {
                            if (whole) {
                                OnnxTensor empty = OnnxTensor.createTensor(env, FloatBuffer.allocate(0),
                                        new long[] {batch, heads, 0, headDim});
                                owned.add(empty);
                                inputs.put(PAST + l + part, empty);
                            } else {
                                inputs.put(PAST + l + part, (OnnxTensor) previous.get(PRESENT + l + part).orElseThrow());
                            }
                        }
                    }
                    OrtSession.Result result = session.run(inputs);
                    if (previous != null) {
                        previous.close();
                    }
                    previous = result;
                } finally {
                    owned.forEach(OnnxTensor::close);
                }
                FloatBuffer logits = ((OnnxTensor) previous.get("logits").orElseThrow()).getFloatBuffer();
                int vocab = logits.capacity() / (batch * (step == 0 || !useCache ? width + step : 1));
                int positionsPerRow = logits.capacity() / (batch * vocab);
                float[] row = new float[vocab];
                boolean active = false;
                for (int b = 0; b < batch; b++) {
                    if (state[b].done) {
                        continue;
                    }
                    logits.position(((b * positionsPerRow) + positionsPerRow - 1) * vocab);
                    logits.get(row);
                    state[b].accept(Sampler.next(row, 0, vocab, state[b].params.temperature(), state[b].params.topP(),
                            state[b].random));
                    active |= !state[b].done;
                }
                if (!active) {
                    break;
                }
            }
        } finally {
            if (previous != null) {
                previous.close();
            }
        }
        List<Output> outputs = new ArrayList<>(batch);
        for (RowState s : state) {
            outputs.add(s.finish());
        }
        return outputs;
    }

    private OnnxTensor put(Map<String, OnnxTensor> inputs, String name, long[] values, int rows, int columns)
            throws OrtException {
        OnnxTensor tensor = OnnxTensor.createTensor(env, LongBuffer.wrap(values), new long[] {rows, columns});
        inputs.put(name, tensor);
        return tensor;
    }

    /** One row's progress: its tokens, sampler, and the text streamed so far. */
    private final class RowState {
        final long[] prompt;
        final GenerationParams params;
        final TokenListener tokens;
        final SplittableRandom random;
        final int limit;
        final int longestStop;
        final List<Long> generated = new ArrayList<>();
        boolean done;
        String finishReason = "length";
        String text = "";
        int streamed;

        RowState(Row row) {
            this.prompt = row.prompt();
            this.params = row.params();
            this.tokens = row.tokens();
            this.random = new SplittableRandom(row.params().seed());
            this.limit = Math.max(1, Math.min(row.params().maxTokens(), card.maxContext() - prompt.length));
            this.longestStop = row.params().stop().stream().mapToInt(String::length).max().orElse(0);
        }

        /** Writes this row's part of a step's inputs: left padding, then prompt and answer so far. */
        void fill(int b, int width, int step, boolean whole, long[] ids, long[] positions, long[] mask, int maxContext) {
            int pad = width - prompt.length;
            int total = width + step;
            for (int t = pad; t < total; t++) {
                mask[b * total + t] = 1;
            }
            if (whole) {
                int length = width + step;
                for (int t = 0; t < length; t++) {
                    int real = t - pad; // index in prompt + answer
                    if (real >= 0) {
                        ids[b * length + t] = real < prompt.length ? prompt[real] : token(real - prompt.length);
                        positions[b * length + t] = Math.min(real, maxContext - 1);
                    }
                }
            } else {
                int real = prompt.length + step - 1;
                ids[b] = token(step - 1);
                positions[b] = Math.min(real, maxContext - 1);
            }
        }

        /** The answer's token {@code i}; rows that ended are fed their last token again, masked by nothing but ignored. */
        private long token(int i) {
            return generated.isEmpty() ? prompt[prompt.length - 1] : generated.get(Math.min(i, generated.size() - 1));
        }

        void accept(int token) {
            if (stopIds.contains((long) token)) {
                done = true;
                finishReason = "stop";
                stream(text.length());
                return;
            }
            generated.add((long) token);
            text = tokenizer.decode(generated.stream().mapToLong(Long::longValue).toArray());
            for (String stop : params.stop()) {
                int at = text.indexOf(stop);
                if (at >= 0) {
                    text = text.substring(0, at);
                    done = true;
                    finishReason = "stop";
                    stream(text.length());
                    return;
                }
            }
            if (generated.size() >= limit) {
                done = true;
                stream(text.length());
                return;
            }
            // Hold back what could still turn out to be the start of a stop string, and a
            // character the tokenizer has not finished (a multi-byte sequence split over tokens).
            int safe = text.length() - Math.max(0, longestStop - 1);
            if (!text.isEmpty() && text.charAt(text.length() - 1) == '\uFFFD') {
                safe = Math.min(safe, text.length() - 1);
            }
            stream(safe);
        }

        private void stream(int upTo) {
            if (upTo > streamed) {
                tokens.onToken(text.substring(streamed, upTo));
                streamed = upTo;
            }
        }

        Output finish() {
            return new Output(generated.stream().mapToLong(Long::longValue).toArray(), text, finishReason, prompt.length);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            LOG.warn("Closing the decoder session of {} failed: {}", card.qualifiedId(), e.toString());
        }
        tokenizer.close();
    }
}
