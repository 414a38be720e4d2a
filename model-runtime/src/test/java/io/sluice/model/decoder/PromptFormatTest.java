package io.sluice.model.decoder;

import io.sluice.model.chat.ChatMessage;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PromptFormatTest {

    private static final GenerationRequest ASK = new GenerationRequest(
            List.of(ChatMessage.system("Be brief."), ChatMessage.user("Why?")), GenerationParams.greedy(8, 0), "0:1");

    @Test
    void anOpenAssistantTurnFollowsTheMessages() {
        assertThat(PromptFormat.CHATML.render(ASK.messages())).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n"
                + "<|im_start|>user\nWhy?<|im_end|>\n<|im_start|>assistant\n");
        assertThat(PromptFormat.PLAIN.render(ASK.messages())).isEqualTo("System: Be brief.\nUser: Why?\nAssistant:");
    }

    @Test
    void aContinuedAnswerStartsTheOpenTurn() {
        GenerationRequest continued = ASK.continuing("Because", "0:1#2");
        assertThat(continued.continues()).isTrue();
        assertThat(ASK.continues()).isFalse();
        assertThat(continued.journalKey()).isEqualTo("0:1#2");
        assertThat(PromptFormat.CHATML.render(continued.messages())).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n"
                + "<|im_start|>user\nWhy?<|im_end|>\n<|im_start|>assistant\nBecause");
        assertThat(PromptFormat.PLAIN.render(continued.messages()))
                .isEqualTo("System: Be brief.\nUser: Why?\nAssistant: Because");
    }
}
