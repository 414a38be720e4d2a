package io.sluice.operators.answer;

import java.util.List;

/** A model's answer and the source markers it cites (1-based, as in the compiled context). */
public record Answer(String text, List<Integer> citedMarkers) {

    public Answer {
        citedMarkers = List.copyOf(citedMarkers);
    }
}
