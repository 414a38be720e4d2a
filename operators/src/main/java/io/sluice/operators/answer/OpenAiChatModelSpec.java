package io.sluice.operators.answer;

import io.sluice.schemas.Secrets;
import io.sluice.model.chat.BreakingChatModel;
import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.CircuitBreaker;
import io.sluice.model.chat.OpenAiBackendConfig;
import io.sluice.model.chat.OpenAiCompatibleChatModel;

/**
 * An OpenAI-compatible HTTP backend (vLLM, TGI, Ollama, ...) as an answer model. The API key is not
 * part of the spec, which travels in the job graph: it is read where the model opens, from
 * {@code apiKeyFile} or else the environment variable {@value #API_KEY_ENV}. The model opens behind
 * a {@link CircuitBreaker} of {@code breaker}'s settings: one per backend per TaskManager, since
 * the open model is shared there.
 */
public record OpenAiChatModelSpec(OpenAiBackendConfig backend, String apiKeyFile, CircuitBreaker.Settings breaker)
        implements ChatModelSpec {

    /** With the default breaker. */
    public OpenAiChatModelSpec(OpenAiBackendConfig backend, String apiKeyFile) {
        this(backend, apiKeyFile, CircuitBreaker.Settings.DEFAULT);
    }

    public static final String API_KEY_ENV = "SLUICE_REMOTE_API_KEY";

    /** A backend whose key (if any) is in {@code backend} itself: tools and tests, not job graphs. */
    public OpenAiChatModelSpec(OpenAiBackendConfig backend) {
        this(backend, null, CircuitBreaker.Settings.DEFAULT);
    }

    @Override
    public String sharingKey() {
        // The record's hash covers the key and timeouts, which toString() masks or leaves out.
        return "openai-compatible|" + backend.baseUrl() + "|" + backend.model() + "|" + hashCode();
    }

    @Override
    public boolean remote() {
        return true;
    }

    @Override
    public ChatModel open() {
        OpenAiBackendConfig b = backend;
        if (b.apiKey() == null) {
            String key = Secrets.resolve(apiKeyFile, API_KEY_ENV);
            b = new OpenAiBackendConfig(b.baseUrl(), b.model(), key, b.connectTimeout(), b.readTimeout(),
                    b.totalTimeout(), b.maxRetries());
        }
        return new BreakingChatModel(new OpenAiCompatibleChatModel(b), new CircuitBreaker(breaker));
    }
}
