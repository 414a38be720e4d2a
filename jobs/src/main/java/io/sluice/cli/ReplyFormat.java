package io.sluice.cli;

import io.sluice.jobs.local.ChatClient;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Locale;

/** How the CLI prints a reply: the answer, its citations, and per-stage timings. */
final class ReplyFormat {

    private ReplyFormat() {}

    static String format(ChatClient.Reply reply, long endToEndMillis) {
        if (reply.rejected()) {
            JsonNode r = reply.rejection();
            return "rejected (" + r.path("reason").asText() + "): " + r.path("detail").asText() + "\n";
        }
        JsonNode r = reply.response();
        StringBuilder sb = new StringBuilder();
        sb.append(r.path("answer").asText()).append('\n');
        for (JsonNode c : r.path("citations")) {
            sb.append(String.format(Locale.ROOT, "  [%d] %s (%s)%n", c.path("marker").asInt(),
                    c.path("title").asText(), c.path("chunkId").asText()));
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
