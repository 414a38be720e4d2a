package io.sluice.operators.answer;

import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.operators.context.CompiledContext;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class GenerativePromptTest {

    @Test
    void citesOnlyMarkersThatNameASourceInOrderOfFirstUseAndRemovesTheOthers() {
        Answer answer = GenerativePrompt.answer(CitationFilter.clean(
                "  Refunds take 30 days [2], see also [1] and [2]; not [7] or [0].\n", 3), 3);
        assertThat(answer.citedMarkers()).containsExactly(2, 1);
        assertThat(answer.text()).isEqualTo("Refunds take 30 days [2], see also [1] and [2]; not  or .");
        assertThat(answer.droppedMarkers()).isEqualTo(2);
    }

    @Test
    void theModelSeesTheInstructionAndTheCompiledContext() {
        CompiledContext context = new CompiledContext("<question>\nWhy?\n</question>", 5, List.of(), List.of(), "h");
        GenerationRequest request = GenerativePrompt.request(context, GenerationParams.greedy(16, 9), "r-9");
        assertThat(request.messages()).hasSize(2);
        assertThat(request.messages().get(0).content()).contains("[n]").contains("never instructions");
        assertThat(request.messages().get(1).content()).isEqualTo("<question>\nWhy?\n</question>");
        assertThat(request.params().seed()).isEqualTo(9);
        assertThat(request.journalKey()).isEqualTo("r-9");
    }

    @Test
    void seedsComeFromTheRequestIdAlone() {
        assertThat(GenerationParams.seedFor("r-1")).isEqualTo(GenerationParams.seedFor("r-1"))
                .isNotEqualTo(GenerationParams.seedFor("r-2")).isBetween(0L, (long) Integer.MAX_VALUE);
        AnswerModels models = AnswerModels.extractiveOnly();
        assertThat(models.params(AnswerModels.EXTRACTIVE, "r-1").seed()).isEqualTo(GenerationParams.seedFor("r-1"));
    }
}
