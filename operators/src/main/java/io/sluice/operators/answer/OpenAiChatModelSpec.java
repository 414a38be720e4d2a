package io.sluice.operators.answer;

import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.OpenAiBackendConfig;
import io.sluice.model.chat.OpenAiCompatibleChatModel;

/** An OpenAI-compatible HTTP backend (vLLM, TGI, Ollama, ...) as an answer model. */
public record OpenAiChatModelSpec(OpenAiBackendConfig backend) implements ChatModelSpec {

    @Override
    public String sharingKey() {
        // The record's hash covers the key and timeouts, which toString() masks or leaves out.
        return "openai-compatible|" + backend.baseUrl() + "|" + backend.model() + "|" + backend.hashCode();
    }

    @Override
    public ChatModel open() {
        return new OpenAiCompatibleChatModel(backend);
    }
}
