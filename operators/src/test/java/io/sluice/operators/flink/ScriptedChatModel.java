package io.sluice.operators.flink;

import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationException;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.model.chat.TokenListener;
import io.sluice.operators.answer.ChatModelSpec;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A generative model whose calls the test answers by hand, so a test decides when each answer
 * arrives relative to the operator's input. Operator tests only: the serving ITCases talk HTTP
 * to the OpenAI stand-in server.
 */
final class ScriptedChatModel implements ChatModel {

    private static final Map<String, ScriptedChatModel> MODELS = new ConcurrentHashMap<>();

    record Call(GenerationRequest request, TokenListener tokens, CompletableFuture<Generation> result) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    private final String name;

    private ScriptedChatModel(String name) {
        this.name = name;
    }

    /** A fresh model under {@code name}, and the spec that opens it in an operator. */
    static ScriptedChatModel register(String name) {
        ScriptedChatModel model = new ScriptedChatModel(name);
        MODELS.put(name, model);
        return model;
    }

    record Spec(String name) implements ChatModelSpec {
        @Override
        public String sharingKey() {
            return "scripted|" + name;
        }

        @Override
        public ChatModel open() {
            return MODELS.get(name);
        }
    }

    /** Streams {@code pieces} for call {@code index} on another thread and completes it. */
    void answer(int index, String... pieces) throws InterruptedException {
        stream(index, pieces, (call, text) -> call.result().complete(
                new Generation(text, 30, pieces.length, "stop", name + "-v7")));
    }

    /** Streams {@code pieces} for call {@code index} on another thread, as a model does, then ends it by {@code end}. */
    private void stream(int index, String[] pieces, java.util.function.BiConsumer<Call, String> end)
            throws InterruptedException {
        Call call = calls.get(index);
        Thread t = new Thread(() -> {
            StringBuilder text = new StringBuilder();
            for (String p : pieces) {
                text.append(p);
                call.tokens().onToken(p);
            }
            end.accept(call, text.toString());
        });
        t.start();
        t.join();
    }

    private volatile RuntimeException nextCallThrows;

    /** The next call throws {@code failure} at once, as a model that cannot take the request would. */
    void throwOnNextCall(RuntimeException failure) {
        nextCallThrows = failure;
    }

    /** Streams {@code pieces} for call {@code index}, then fails it as a broken stream (the backend's fault). */
    void streamThenFailBackend(int index, String message, String... pieces) throws InterruptedException {
        stream(index, pieces, (call, text) -> call.result().completeExceptionally(
                new GenerationException(message, text, false, true, null)));
    }

    /** Fails call {@code index} as a backend at fault would (unreachable, overloaded): breakers count it. */
    void failBackend(int index, String message) {
        calls.get(index).result().completeExceptionally(new GenerationException(message, "", true, true, null));
    }

    void fail(int index, String message) {
        calls.get(index).result().completeExceptionally(new GenerationException(message, "", false, null));
    }

    @Override
    public String modelId() {
        return "scripted:" + name;
    }

    @Override
    public CompletableFuture<Generation> generate(GenerationRequest request, TokenListener tokens) {
        RuntimeException failure = nextCallThrows;
        if (failure != null) {
            nextCallThrows = null;
            throw failure;
        }
        CompletableFuture<Generation> result = new CompletableFuture<>();
        calls.add(new Call(request, tokens, result));
        return result;
    }

    @Override
    public void close() {}
}
