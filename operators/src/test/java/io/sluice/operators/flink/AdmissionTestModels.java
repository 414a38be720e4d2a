package io.sluice.operators.flink;

import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.OpenAiBackendConfig;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.OpenAiChatModelSpec;

import java.util.Map;

/** Answer models for admission tests: the extractive answerer and a generative {@code remote} of 64 tokens. */
final class AdmissionTestModels {

    static final AnswerModels MODELS = new AnswerModels(AnswerModels.EXTRACTIVE,
            Map.of("remote", new OpenAiChatModelSpec(OpenAiBackendConfig.of("http://localhost:1/v1", "m", null))),
            GenerationParams.greedy(64, 0));

    private AdmissionTestModels() {}
}
