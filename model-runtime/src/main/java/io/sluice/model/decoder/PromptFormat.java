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
     * template of Qwen2/2.5, SmolLM2 and other ChatML-trained models. A last assistant message is the
     * open turn's start.
     */
    CHATML {
        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : closed(messages)) {
                sb.append("<|im_start|>").append(role(m)).append('\n').append(m.content()).append("<|im_end|>\n");
            }
            return sb.append("<|im_start|>assistant\n").append(answerStart(messages)).toString();
        }
    },

    /**
     * {@code Role: content} lines and an open {@code Assistant:} line, for base models; a last
     * assistant message is the open line's start.
     */
    PLAIN {
        @Override
        public String render(List<ChatMessage> messages) {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : closed(messages)) {
                String role = role(m);
                sb.append(Character.toUpperCase(role.charAt(0))).append(role.substring(1)).append(": ")
                        .append(m.content()).append('\n');
            }
            String start = answerStart(messages);
            return sb.append("Assistant:").append(start.isEmpty() ? "" : " " + start).toString();
        }
    };

    public abstract String render(List<ChatMessage> messages);

    /** The messages before the open turn: all of them, or all but a last assistant message. */
    private static List<ChatMessage> closed(List<ChatMessage> messages) {
        return endsWithAssistant(messages) ? messages.subList(0, messages.size() - 1) : messages;
    }

    /** The start of the answer the model continues: the last message's text if the assistant said it. */
    private static String answerStart(List<ChatMessage> messages) {
        return endsWithAssistant(messages) ? messages.get(messages.size() - 1).content() : "";
    }

    private static boolean endsWithAssistant(List<ChatMessage> messages) {
        return !messages.isEmpty() && messages.get(messages.size() - 1).role() == ChatMessage.Role.ASSISTANT;
    }

    private static String role(ChatMessage m) {
        return m.role().name().toLowerCase(Locale.ROOT);
    }
}
