package io.sluice.model.decoder;

import io.sluice.model.ModelThreads;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationException;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.model.chat.TokenListener;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An in-process {@link OnnxDecoder} as a {@link ChatModel}, dynamically batched: requests queue up,
 * and one decoding thread takes everything waiting (up to {@code maxBatchSize}) into the next batch
 * as soon as the previous batch is done. Callers never block; tokens stream to each request's
 * listener from the decoding thread. Because rows do not see each other, an answer is the same
 * whatever it was batched with.
 */
public final class OnnxDecoderChatModel implements ChatModel {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxDecoderChatModel.class);

    private record Job(GenerationRequest request, long[] prompt, TokenListener tokens,
            CompletableFuture<Generation> result) {}

    private final OnnxDecoder decoder;
    private final int maxBatchSize;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean running = true;

    public OnnxDecoderChatModel(OnnxDecoder decoder, int maxBatchSize) {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("max batch size must be at least 1");
        }
        this.decoder = decoder;
        this.maxBatchSize = maxBatchSize;
        this.worker = ModelThreads.newThread(this::decodeLoop, "sluice-decoder-" + decoder.card().id());
        this.worker.start();
    }

    public static OnnxDecoderChatModel load(Path directory, RuntimeOptions options, int maxBatchSize) throws IOException {
        return new OnnxDecoderChatModel(OnnxDecoder.load(directory, options), maxBatchSize);
    }

    @Override
    public String modelId() {
        return "onnx:" + decoder.card().id();
    }

    @Override
    public CompletableFuture<Generation> generate(GenerationRequest request, TokenListener tokens) {
        CompletableFuture<Generation> result = new CompletableFuture<>();
        try {
            long[] prompt = decoder.encodePrompt(decoder.card().promptFormat().render(request.messages()));
            if (!running) {
                throw new IllegalStateException("the model is closed");
            }
            queue.add(new Job(request, prompt, tokens, result));
        } catch (RuntimeException e) {
            result.completeExceptionally(new GenerationException(modelId() + " rejected the request: "
                    + e.getMessage(), "", false, e));
        }
        return result;
    }

    private void decodeLoop() {
        List<Job> batch = new ArrayList<>();
        while (running) {
            try {
                Job first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatchSize - 1);
                decode(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                batch.clear();
            }
        }
    }

    private void decode(List<Job> batch) {
        List<OnnxDecoder.Row> rows = new ArrayList<>(batch.size());
        for (Job job : batch) {
            rows.add(new OnnxDecoder.Row(job.prompt(), job.request().params(), job.tokens()));
        }
        try {
            List<OnnxDecoder.Output> outputs = decoder.generate(rows, true);
            for (int i = 0; i < batch.size(); i++) {
                OnnxDecoder.Output out = outputs.get(i);
                batch.get(i).result().complete(new Generation(out.text(), out.promptTokens(), out.tokens().length,
                        out.finishReason(), decoder.card().qualifiedId()));
            }
        } catch (Exception | LinkageError e) {
            LOG.warn("Decoding a batch of {} with {} failed", batch.size(), modelId(), e);
            for (Job job : batch) {
                job.result().completeExceptionally(new GenerationException(modelId() + " failed: " + e, "", false, e));
            }
        }
    }

    @Override
    public void close() {
        running = false;
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job job; (job = queue.poll()) != null; ) {
            job.result().completeExceptionally(new GenerationException(modelId() + " was closed", "", false, null));
        }
        decoder.close();
    }
}
