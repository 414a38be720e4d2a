package io.sluice.operators.answer;

import java.util.List;

/**
 * A model's answer, the source markers it cites (1-based, as in the compiled context) and how many
 * markers naming no source were removed from its text.
 */
public record Answer(String text, List<Integer> citedMarkers, int droppedMarkers) {

    public Answer {
        citedMarkers = List.copyOf(citedMarkers);
    }

    /** An answer whose markers all name sources. */
    public Answer(String text, List<Integer> citedMarkers) {
        this(text, citedMarkers, 0);
    }
}
