/**
 * In-process generative decoders: a decoder-only ONNX model (Hugging Face layout, with past key
 * values) run token by token ({@link io.sluice.model.decoder.OnnxDecoder}), dynamically batched
 * behind the {@link io.sluice.model.chat.ChatModel} interface
 * ({@link io.sluice.model.decoder.OnnxDecoderChatModel}), with its card, prompt template and seeded
 * sampler. As the rest of the model runtime, nothing here depends on Flink.
 */
package io.sluice.model.decoder;
