package io.sluice.operators.answer;

import io.sluice.model.RuntimeOptions;
import io.sluice.model.chat.ChatModel;
import io.sluice.model.decoder.OnnxDecoderChatModel;

import java.io.IOException;
import java.io.UncheckedIOException;

/** An in-process ONNX decoder, dynamically batched, as an answer model. */
public record OnnxDecoderSpec(String modelDir, RuntimeOptions runtime, int maxBatchSize) implements ChatModelSpec {

    @Override
    public String sharingKey() {
        return "onnx-decoder|" + modelDir + "|" + runtime + "|" + maxBatchSize;
    }

    @Override
    public ChatModel open() {
        try {
            return OnnxDecoderChatModel.load(java.nio.file.Path.of(modelDir), runtime, maxBatchSize);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
