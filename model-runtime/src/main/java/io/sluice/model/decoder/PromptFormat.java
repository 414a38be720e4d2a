package io.sluice.model.decoder;

import io.sluice.model.chat.ChatMessage;

import java.util.List;
import java.util.Locale;

/**
 * How chat messages become a decoder's prompt. Instruct models are trained on one template and
 * answer poorly in any other, so the model card names it.
 */
public enum PromptFormat {

    /**
     * {@code <|im_start|>role\ncontent<|im_end|>\n} per message, then an open assistant turn: the
     * template of Qwen2/2.5, SmolLM2 and other ChatML-trained models.
     */
    CHATML {
        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : messages) {
                sb.append("<|im_start|>").append(role(m)).append('\n').append(m.content()).append("<|im_end|>\n");
            }
            return sb.append("<|im_start|>assistant\n").toString();
        }
    },

    /** {@code Role: content} lines and an open {@code Assistant:} line, for base models. */
    PLAIN {
        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : messages) {
                String role = role(m);
                sb.append(Character.toUpperCase(role.charAt(0))).append(role.substring(1)).append(": ")
                        .append(m.content()).append('\n');
            }
            return sb.append("Assistant:").toString();
        }
    };

    public abstract String render(List<ChatMessage> messages);

    private static String role(ChatMessage m) {
        return m.role().name().toLowerCase(Locale.ROOT);
    }
}
