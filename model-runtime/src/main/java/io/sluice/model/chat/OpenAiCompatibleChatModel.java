package io.sluice.model.chat;

import com.openai.client.OpenAIClientAsync;
import com.openai.client.okhttp.OpenAIOkHttpClientAsync;
import com.openai.core.Timeout;
import com.openai.core.http.AsyncStreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A {@link ChatModel} served by any OpenAI-compatible {@code /v1/chat/completions} endpoint,
 * streamed over server-sent events through the official OpenAI Java SDK (which owns connection
 * pooling, timeouts and retries before the first byte of a response).
 *
 * <p>A stream that breaks after tokens arrived, or ends without a finish reason, fails the
 * generation with its partial text and is not retried here: those tokens may already be on their
 * way to a user.
 */
public final class OpenAiCompatibleChatModel implements ChatModel {

    /** Servers without auth still need some key in the header the SDK sends. */
    private static final String NO_KEY = "sluice-no-key";

    private final OpenAiBackendConfig config;
    private final OpenAIClientAsync client;

    public OpenAiCompatibleChatModel(OpenAiBackendConfig config) {
        this.config = config;
        this.client = OpenAIOkHttpClientAsync.builder()
                .baseUrl(config.baseUrl())
                .apiKey(config.apiKey() == null || config.apiKey().isBlank() ? NO_KEY : config.apiKey())
                .maxRetries(config.maxRetries())
                .timeout(Timeout.builder()
                        .connect(config.connectTimeout())
                        .read(config.readTimeout())
                        .request(config.totalTimeout())
                        .build())
                .build();
    }

    @Override
    public String modelId() {
        return modelId(config);
    }

    /** The id answers of {@code config}'s model are recorded under. */
    public static String modelId(OpenAiBackendConfig config) {
        return "openai-compatible:" + config.model();
    }

    @Override
    public CompletableFuture<Generation> generate(GenerationRequest request, TokenListener tokens) {
        CompletableFuture<Generation> result = new CompletableFuture<>();
        StreamCollector collector = new StreamCollector(tokens, result);
        AsyncStreamResponse<ChatCompletionChunk> stream;
        try {
            stream = client.chat().completions().createStreaming(params(request));
        } catch (RuntimeException e) {
            result.completeExceptionally(new GenerationException(
                    modelId() + " rejected the request: " + e.getMessage(), "", false, e));
            return result;
        }
        stream.subscribe(collector);
        // The SDK's request timeout does not bound a streamed body that keeps trickling in (a byte a
        // second never trips the read timeout either): the total timeout is enforced here.
        var deadline = TIMEOUTS.schedule(() -> collector.timeOut(stream), config.totalTimeout().toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
        result.whenComplete((g, e) -> deadline.cancel(false));
        return result;
    }

    /** Fires total timeouts; one daemon thread for every model in the JVM (the work is a flag and a close). */
    private static final java.util.concurrent.ScheduledExecutorService TIMEOUTS =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "sluice-generation-timeouts");
                t.setDaemon(true);
                return t;
            });

    ChatCompletionCreateParams params(GenerationRequest request) {
        GenerationParams p = request.params();
        ChatCompletionCreateParams.Builder b = ChatCompletionCreateParams.builder()
                .model(config.model())
                .temperature(p.temperature())
                .topP(p.topP())
                .maxCompletionTokens(p.maxTokens())
                .seed(p.seed())
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
        if (!p.stop().isEmpty()) {
            b.stopOfStrings(p.stop());
        }
        for (ChatMessage m : request.messages()) {
            switch (m.role()) {
                case SYSTEM -> b.addSystemMessage(m.content());
                case USER -> b.addUserMessage(m.content());
                case ASSISTANT -> b.addAssistantMessage(m.content());
            }
        }
        return b.build();
    }

    /** Gathers one stream; the SDK calls it from one thread at a time. */
    private final class StreamCollector implements AsyncStreamResponse.Handler<ChatCompletionChunk> {
        private final TokenListener tokens;
        private final CompletableFuture<Generation> result;
        private final StringBuilder text = new StringBuilder();
        private int pieces;
        private String finishReason;
        private String servedModel;
        private long promptTokens = -1;
        private long completionTokens = -1;

        StreamCollector(TokenListener tokens, CompletableFuture<Generation> result) {
            this.tokens = tokens;
            this.result = result;
        }

        /** The whole generation took longer than the total timeout: fail it and stop reading. */
        synchronized void timeOut(AsyncStreamResponse<ChatCompletionChunk> stream) {
            if (result.isDone()) {
                return;
            }
            result.completeExceptionally(new GenerationException(modelId() + " failed: no complete answer within "
                    + "the total timeout of " + config.totalTimeout().toMillis() + " ms (" + pieces
                    + " pieces of text so far)", text.toString(), false, true, null));
            try {
                stream.close();
            } catch (RuntimeException ignored) {
                // Closing a stream that is failing anyway.
            }
        }

        @Override
        public synchronized void onNext(ChatCompletionChunk chunk) {
            if (result.isDone()) {
                return; // timed out: nothing more reaches the listener
            }
            if (servedModel == null && !chunk.model().isBlank()) {
                servedModel = chunk.model();
            }
            chunk.usage().ifPresent(u -> {
                promptTokens = u.promptTokens();
                completionTokens = u.completionTokens();
            });
            for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                choice.delta().content().filter(s -> !s.isEmpty()).ifPresent(s -> {
                    text.append(s);
                    pieces++;
                    tokens.onToken(s);
                });
                choice.finishReason().ifPresent(r -> finishReason = r.asString());
            }
        }

        @Override
        public synchronized void onComplete(Optional<Throwable> error) {
            if (result.isDone()) {
                return;
            }
            if (error.isPresent()) {
                Throwable e = unwrap(error.get());
                boolean beforeFirstToken = pieces == 0;
                // Broken after the first token: the backend's fault, but not to be repeated here.
                result.completeExceptionally(new GenerationException(describe(e, beforeFirstToken),
                        text.toString(), beforeFirstToken && retryable(e), !beforeFirstToken || retryable(e), e));
            } else if (finishReason == null) {
                result.completeExceptionally(new GenerationException(modelId()
                        + ": the stream ended without a finish reason after " + pieces + " pieces of text",
                        text.toString(), false, true, null));
            } else {
                result.complete(new Generation(text.toString(), promptTokens, completionTokens, finishReason,
                        servedModel == null ? config.model() : servedModel));
            }
        }

        private String describe(Throwable e, boolean beforeFirstToken) {
            String what = e instanceof OpenAIServiceException s ? "HTTP " + s.statusCode() + ": " + e.getMessage()
                    : e.getClass().getSimpleName() + ": " + e.getMessage();
            return modelId() + (beforeFirstToken ? " failed: " : " failed after " + pieces + " pieces of text: ") + what;
        }
    }

    /** Async failures arrive wrapped in CompletionException (the SDK's, or a future's): classify the cause. */
    static Throwable unwrap(Throwable e) {
        while ((e instanceof java.util.concurrent.CompletionException
                || e instanceof java.util.concurrent.ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static boolean retryable(Throwable e) {
        if (e instanceof OpenAIServiceException s) {
            int code = s.statusCode();
            return code == 408 || code == 409 || code == 429 || code >= 500;
        }
        return true; // transport failures
    }

    @Override
    public void close() {
        client.close();
    }
}
