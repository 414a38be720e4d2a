package io.sluice.operators.answer;

import io.sluice.model.chat.ChatMessage;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.operators.context.CompiledContext;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a generative model is asked, and how its text becomes an {@link Answer}. The prompt is a
 * fixed system message and the compiled context as the user message, so the context hash in the
 * audit trail covers everything the model saw but this versioned instruction.
 */
public final class GenerativePrompt {

    /** Bumped whenever {@link #SYSTEM} changes; recorded with the model version. */
    public static final int VERSION = 1;

    static final String SYSTEM = "You answer questions for a retrieval-augmented chat service. "
            + "Use only the numbered sources and the conversation shown. Cite every source you use "
            + "as [n], with its number. If the sources do not contain the answer, say that they do not.";

    private static final Pattern MARKER = Pattern.compile("\\[(\\d{1,3})]");

    private GenerativePrompt() {}

    public static GenerationRequest request(CompiledContext context, GenerationParams params, String journalKey) {
        return new GenerationRequest(List.of(ChatMessage.system(SYSTEM), ChatMessage.user(context.text())), params,
                journalKey);
    }

    /**
     * The answer in a text without the markers that name no source ({@link CitationFilter#clean}, as
     * the streamed pieces were filtered, and perhaps cut to the answer bound): the markers it cites,
     * in order of first use.
     */
    public static Answer answer(CitationFilter.Cleaned cleaned, int sources) {
        Set<Integer> cited = new LinkedHashSet<>();
        Matcher m = MARKER.matcher(cleaned.text());
        while (m.find()) {
            int marker = Integer.parseInt(m.group(1));
            if (marker >= 1 && marker <= sources) { // a marker the removal of another one formed stays text
                cited.add(marker);
            }
        }
        return new Answer(cleaned.text().strip(), List.copyOf(cited), cleaned.droppedMarkers());
    }
}
