#!/usr/bin/env python3
"""Builds Sluice's tiny random decoder: a 2-layer causal transformer exported in the Hugging Face
ONNX layout (input_ids, attention_mask, position_ids, past_key_values.N.key/value ->
logits, present.N.key/value), with a word-level tokenizer.json and a model card.

Random weights from a fixed seed: the model says nothing sensible, but it exercises every path a
real exported decoder takes (KV cache, masking, left padding, sampling, stop tokens).

Needs only Debian's python3-onnx and python3-numpy:
    apt-get install python3-onnx python3-numpy
    /usr/bin/python3 generate.py        # writes model.onnx, tokenizer.json, model-card.properties here
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
LAYERS, HEADS, HEAD_DIM, FFN, MAX_POSITIONS = 2, 2, 16, 64, 256
HIDDEN = HEADS * HEAD_DIM

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "[UNK]"]
WORDS = ("the a an and or of to in on for with is are was be it this that what how why when where who "
         "which do does can will not no yes i you we they he she my your our their answer question "
         "source sources refund refunds days shipping express warranty cover covers snapshot snapshots "
         "index state savepoint checkpoint audit row rows model models token tokens turn turns user "
         "assistant system said take takes long many paid back within business five thirty "
         ". , ? ! : [ ] 1 2 3 #").split()
VOCAB = SPECIAL + WORDS

rng = np.random.default_rng(20261123)


def weight(name, *shape, scale=0.4):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


nodes, inits = [], []


def node(op, inputs, outputs, **attrs):
    nodes.append(helper.make_node(op, inputs, outputs, **attrs))
    return outputs[0]


inits += [weight("tok_emb", len(VOCAB), HIDDEN, scale=1.0), weight("pos_emb", MAX_POSITIONS, HIDDEN, scale=0.3),
          weight("lm_head", HIDDEN, len(VOCAB), scale=0.6),
          const("ones_h", np.ones(HIDDEN), np.float32), const("zeros_h", np.zeros(HIDDEN), np.float32),
          const("split_heads", [0, 0, HEADS, HEAD_DIM]), const("merge_heads", [0, 0, HIDDEN]),
          const("two", 2), const("one_dim", 1), const("zero", 0), const("step", 1),
          const("ax0", [0]), const("ax1", [1]), const("ax12", [1, 2]), const("one_i", 1),
          const("scale", 1.0 / np.sqrt(HEAD_DIM), np.float32), const("neg", -1e9, np.float32)]

x = node("Add", [node("Gather", ["tok_emb", "input_ids"], ["tok"]),
                 node("Gather", ["pos_emb", "position_ids"], ["pos"])], ["x0"])

# Causal mask over [past + new] keys for the new queries, combined with the padding mask.
past_len = node("Gather", [node("Shape", ["past_key_values.0.key"], ["past_shape"]), "two"], ["past_len"], axis=0)
new_len = node("Gather", [node("Shape", ["input_ids"], ["ids_shape"]), "one_dim"], ["new_len"], axis=0)
total = node("Add", [past_len, new_len], ["total_len"])
key_idx = node("Unsqueeze", [node("Range", ["zero", total, "step"], ["key_range"]), "ax0"], ["key_idx"])
query_idx = node("Unsqueeze", [node("Range", [past_len, total, "step"], ["query_range"]), "ax1"], ["query_idx"])
causal = node("LessOrEqual", [key_idx, query_idx], ["causal"])
padding = node("Unsqueeze", [node("Equal", ["attention_mask", "one_i"], ["not_pad"]), "ax12"], ["padding"])
mask = node("And", [causal, padding], ["mask"])

inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
          helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total_sequence"]),
          helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"])]
outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", len(VOCAB)])]

for layer in range(LAYERS):
    p = f"l{layer}_"
    inits += [weight(p + n, HIDDEN, HIDDEN) for n in ("wq", "wk", "wv", "wo")]
    inits += [weight(p + "w1", HIDDEN, FFN), weight(p + "w2", FFN, HIDDEN)]
    h = node("LayerNormalization", [x, "ones_h", "zeros_h"], [p + "ln1"], axis=-1)
    heads = {}
    for n in ("q", "k", "v"):
        projected = node("MatMul", [h, p + "w" + n], [p + n])
        split = node("Reshape", [projected, "split_heads"], [p + n + "_split"])
        heads[n] = node("Transpose", [split], [p + n + "_heads"], perm=[0, 2, 1, 3])
    past_k, past_v = f"past_key_values.{layer}.key", f"past_key_values.{layer}.value"
    present_k, present_v = f"present.{layer}.key", f"present.{layer}.value"
    for name in (past_k, past_v):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                    ["batch", HEADS, "past_sequence", HEAD_DIM]))
    for name in (present_k, present_v):
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT,
                                                     ["batch", HEADS, "total_sequence", HEAD_DIM]))
    keys = node("Concat", [past_k, heads["k"]], [present_k], axis=2)
    values = node("Concat", [past_v, heads["v"]], [present_v], axis=2)
    scores = node("Mul", [node("MatMul", [heads["q"], node("Transpose", [keys], [p + "kt"], perm=[0, 1, 3, 2])],
                               [p + "qk"]), "scale"], [p + "scores"])
    masked = node("Where", [mask, scores, "neg"], [p + "masked"])
    attended = node("MatMul", [node("Softmax", [masked], [p + "probs"], axis=-1), values], [p + "attended"])
    merged = node("Reshape", [node("Transpose", [attended], [p + "attended_t"], perm=[0, 2, 1, 3]), "merge_heads"],
                  [p + "merged"])
    x = node("Add", [x, node("MatMul", [merged, p + "wo"], [p + "attn_out"])], [p + "x_attn"])
    h2 = node("LayerNormalization", [x, "ones_h", "zeros_h"], [p + "ln2"], axis=-1)
    ffn = node("MatMul", [node("Relu", [node("MatMul", [h2, p + "w1"], [p + "up"])], [p + "act"]), p + "w2"],
               [p + "down"])
    x = node("Add", [x, ffn], [p + "x_ffn"])

final = node("LayerNormalization", [x, "ones_h", "zeros_h"], ["ln_f"], axis=-1)
# Special tokens are made unlikely, so random answers run long enough to test; tests that need a
# stop token name an ordinary word as one.
bias = np.zeros(len(VOCAB), dtype=np.float32)
bias[:len(SPECIAL)] = -8.0
inits.append(numpy_helper.from_array(bias, "lm_bias"))
node("Add", [node("MatMul", [final, "lm_head"], ["lm_logits"]), "lm_bias"], ["logits"])

graph = helper.make_graph(nodes, "sluice-tiny-decoder", inputs, outputs, inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sluice-generate.py")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, "model.onnx"))

tokenizer = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True} for i, t in enumerate(SPECIAL)],
    "normalizer": {"type": "Lowercase"},
    "pre_tokenizer": {"type": "Whitespace"},
    "post_processor": None,
    "decoder": None,
    "model": {"type": "WordLevel", "vocab": {t: i for i, t in enumerate(VOCAB)}, "unk_token": "[UNK]"},
}
with open(os.path.join(HERE, "tokenizer.json"), "w") as f:
    json.dump(tokenizer, f, indent=1)
with open(os.path.join(HERE, "model-card.properties"), "w") as f:
    f.write("# A random 2-layer decoder for tests; see generate.py.\n"
            "id=sluice/tiny-random-decoder\nversion=1\nprompt-format=chatml\n"
            "stop-tokens=<|im_end|>,<|endoftext|>\nmax-context=%d\n" % MAX_POSITIONS)
print("wrote model.onnx (%d bytes), tokenizer.json, model-card.properties"
      % os.path.getsize(os.path.join(HERE, "model.onnx")))
