package io.sluice.cli;

import io.sluice.local.ChatClient;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/** How the CLI prints a reply: the answer, its citations, the answer model and per-stage timings. */
final class ReplyFormat {

    private ReplyFormat() {}

    static String format(ChatClient.Reply reply, long endToEndMillis) {
        return format(reply, endToEndMillis, false);
    }

    /** @param streamed whether the answer's text was already printed as it streamed */
    static String format(ChatClient.Reply reply, long endToEndMillis, boolean streamed) {
        if (reply.rejected()) {
            JsonNode r = reply.rejection();
            return "rejected (" + r.path("reason").asText() + "): " + r.path("detail").asText() + "\n";
        }
        JsonNode r = reply.response();
        StringBuilder sb = new StringBuilder();
        if (!streamed) {
            sb.append(r.path("answer").asText()).append('\n');
        }
        for (JsonNode c : r.path("citations")) {
            sb.append(String.format(Locale.ROOT, "  [%d] %s (%s)%n", c.path("marker").asInt(),
                    c.path("title").asText(), c.path("chunkId").asText()));
        }
        if (!r.path("modelId").asText().startsWith("extractive")) {
            JsonNode usage = r.path("usage");
            sb.append(String.format(Locale.ROOT, "  model %s (%s) | %d prompt + %d completion tokens | finish %s%n",
                    r.path("modelId").asText(), r.path("model").path("version").asText(),
                    usage.path("promptTokens").asLong(), usage.path("completionTokens").asLong(),
                    r.path("model").path("finishReason").asText()));
        }
        JsonNode t = r.path("timings");
        int history = r.path("historyTurns").asInt();
        sb.append(String.format(Locale.ROOT,
                "  embed %.1f ms | retrieve %.1f ms | compile %.1f ms | answer %.1f ms | end-to-end %d ms | %d context tokens | %d earlier turn%s in context | snapshot %s%n",
                t.path("embedMs").asDouble(), t.path("retrieveMs").asDouble(), t.path("compileMs").asDouble(), t.path("answerMs").asDouble(),
                endToEndMillis, r.path("contextTokens").asInt(), history, history == 1 ? "" : "s",
                r.path("snapshotId").asText()));
        return sb.toString();
    }
}
