package io.sluice.model;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A tiny random embedding model, built by the tests that need one: an ONNX graph (token embedding
 * table, one dense layer, tanh) with a word-level {@code tokenizer.json} over {@link #WORDS} and a
 * model card, laid out like a user's model directory. Its vectors mean nothing, but it exercises
 * the same loading, tokenising, pooling and batching code as a real encoder at a fraction of the
 * cost, so a test of the backfill at scale measures Sluice rather than the model.
 *
 * <p>The ONNX file is written with a few lines of protobuf encoding rather than a Python exporter,
 * so the tests need nothing beyond the JDK; the weights come from a fixed seed, so every build
 * writes the same bytes.
 */
public final class TinyEncoder {

    public static final String ID = "sluice/tiny-random-encoder";
    public static final int DIMENSION = 32;
    public static final int MAX_TOKENS = 128;
    /** The vocabulary beyond [PAD] and [UNK]: pronounceable made-up words. */
    public static final List<String> WORDS = words(2000);

    private static final long SEED = 20261203L;

    private TinyEncoder() {}

    /** Writes model.onnx, tokenizer.json and model-card.properties into {@code dir} and returns it. */
    public static Path write(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(OnnxEmbeddingModel.MODEL_FILE), onnx());
            Files.writeString(dir.resolve(OnnxEmbeddingModel.TOKENIZER_FILE), tokenizerJson());
            Files.writeString(dir.resolve(ModelCard.FILE_NAME), "# A random encoder built by TinyEncoder for tests.\n"
                    + "id=" + ID + "\nversion=1\ndimension=" + DIMENSION + "\nmax-tokens=" + MAX_TOKENS
                    + "\npooling=mean\n");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> words(int n) {
        String[] onsets = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"};
        String[] vowels = {"a", "e", "i", "o", "u"};
        List<String> out = new ArrayList<>(n);
        for (int i = 0; out.size() < n; i++) {
            StringBuilder w = new StringBuilder();
            int x = i;
            do {
                w.append(onsets[x % onsets.length]).append(vowels[(x / onsets.length) % vowels.length]);
                x /= onsets.length * vowels.length;
            } while (x > 0);
            out.add(w.toString());
        }
        return List.copyOf(out);
    }

    private static String tokenizerJson() {
        StringBuilder vocab = new StringBuilder("\"[PAD]\": 0, \"[UNK]\": 1");
        for (int i = 0; i < WORDS.size(); i++) {
            vocab.append(", \"").append(WORDS.get(i)).append("\": ").append(i + 2);
        }
        return "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": ["
                + "{\"id\": 0, \"content\": \"[PAD]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
                + " \"normalized\": false, \"special\": true},"
                + "{\"id\": 1, \"content\": \"[UNK]\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false,"
                + " \"normalized\": false, \"special\": true}],"
                + " \"normalizer\": {\"type\": \"Lowercase\"}, \"pre_tokenizer\": {\"type\": \"Whitespace\"},"
                + " \"post_processor\": null, \"decoder\": null,"
                + " \"model\": {\"type\": \"WordLevel\", \"vocab\": {" + vocab + "}, \"unk_token\": \"[UNK]\"}}";
    }

    // ONNX protobuf field numbers (onnx.proto3).
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER = 2, MODEL_GRAPH = 7, MODEL_OPSET = 8;
    private static final int OPSET_VERSION = 2;
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_OP_TYPE = 4;
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9;
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2, TYPE_TENSOR = 1, TENSOR_ELEM_TYPE = 1, TENSOR_SHAPE = 2;
    private static final int SHAPE_DIM = 1, DIM_PARAM = 2, DIM_VALUE = 1;
    private static final int FLOAT = 1, INT64 = 7;

    static byte[] onnx() {
        Random random = new Random(SEED);
        int vocab = WORDS.size() + 2;
        Proto graph = new Proto()
                .message(GRAPH_NODE, node("Gather", List.of("embeddings", "input_ids"), "tokens"))
                .message(GRAPH_NODE, node("MatMul", List.of("tokens", "dense"), "projected"))
                .message(GRAPH_NODE, node("Tanh", List.of("projected"), "last_hidden_state"))
                .string(GRAPH_NAME, "tiny-random-encoder")
                .message(GRAPH_INITIALIZER, floats("embeddings", random, vocab, DIMENSION))
                .message(GRAPH_INITIALIZER, floats("dense", random, DIMENSION, DIMENSION))
                .message(GRAPH_INPUT, value("input_ids", INT64, "batch", "sequence"))
                .message(GRAPH_INPUT, value("attention_mask", INT64, "batch", "sequence"))
                .message(GRAPH_INPUT, value("token_type_ids", INT64, "batch", "sequence"))
                .message(GRAPH_OUTPUT, value("last_hidden_state", FLOAT, "batch", "sequence", DIMENSION));
        return new Proto()
                .varint(MODEL_IR_VERSION, 7)
                .string(MODEL_PRODUCER, "sluice-tiny-encoder")
                .message(MODEL_GRAPH, graph)
                .message(MODEL_OPSET, new Proto().varint(OPSET_VERSION, 13))
                .bytes();
    }

    private static Proto node(String op, List<String> inputs, String output) {
        Proto node = new Proto();
        inputs.forEach(in -> node.string(NODE_INPUT, in));
        return node.string(NODE_OUTPUT, output).string(NODE_OP_TYPE, op);
    }

    private static Proto floats(String name, Random random, int rows, int cols) {
        ByteBuffer data = ByteBuffer.allocate(rows * cols * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * cols; i++) {
            data.putFloat((float) (random.nextGaussian() / Math.sqrt(cols)));
        }
        return new Proto().varint(TENSOR_DIMS, rows).varint(TENSOR_DIMS, cols).varint(TENSOR_DATA_TYPE, FLOAT)
                .string(TENSOR_NAME, name).raw(TENSOR_RAW_DATA, data.array());
    }

    /** A graph input or output: a tensor of {@code elemType} whose dims are names (symbolic) or sizes. */
    private static Proto value(String name, int elemType, Object... dims) {
        Proto shape = new Proto();
        for (Object d : dims) {
            shape.message(SHAPE_DIM, d instanceof String s ? new Proto().string(DIM_PARAM, s)
                    : new Proto().varint(DIM_VALUE, (Integer) d));
        }
        Proto tensor = new Proto().varint(TENSOR_ELEM_TYPE, elemType).message(TENSOR_SHAPE, shape);
        return new Proto().string(VALUE_NAME, name).message(VALUE_TYPE, new Proto().message(TYPE_TENSOR, tensor));
    }

    /** Just enough protobuf wire format: varints and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            tag(field, 0);
            writeVarint(value);
            return this;
        }

        Proto string(int field, String value) {
            return raw(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return raw(field, message.bytes());
        }

        Proto raw(int field, byte[] value) {
            tag(field, 2);
            writeVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            writeVarint(((long) field << 3) | wireType);
        }

        private void writeVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
