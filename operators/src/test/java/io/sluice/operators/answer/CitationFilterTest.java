package io.sluice.operators.answer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class CitationFilterTest {

    @Test
    void markersThatNameNoSourceAreRemovedAndCounted() {
        var cleaned = CitationFilter.clean("Thirty days [1][3], not [4] or [0] or [12]; [x] [1234] [2 and [ stay.", 3);
        assertThat(cleaned.text()).isEqualTo("Thirty days [1][3], not  or  or ; [x] [1234] [2 and [ stay.");
        assertThat(cleaned.droppedMarkers()).isEqualTo(3);
        assertThat(CitationFilter.clean("No sources [1].", 0).text()).isEqualTo("No sources .");
        assertThat(CitationFilter.clean("Ends in [2", 3).text()).isEqualTo("Ends in [2");
    }

    @Test
    void streamedPiecesAddUpToTheCleanedWholeWhereverTheyAreCut() {
        long seed = Long.getLong("sluice.test.seed", System.nanoTime());
        System.out.println("CitationFilterTest seed " + seed + " (rerun with -Dsluice.test.seed=" + seed + ")");
        SplittableRandom random = new SplittableRandom(seed);
        String alphabet = "[]0123456789 ab";
        for (int round = 0; round < 500; round++) {
            StringBuilder text = new StringBuilder();
            int length = random.nextInt(60);
            for (int i = 0; i < length; i++) {
                text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            int sources = random.nextInt(12);
            CitationFilter filter = new CitationFilter(sources);
            List<String> pieces = new ArrayList<>();
            for (int at = 0; at < text.length(); ) {
                int end = Math.min(text.length(), at + 1 + random.nextInt(5));
                pieces.add(filter.accept(text.substring(at, end)));
                at = end;
            }
            pieces.add(filter.finish());
            var whole = CitationFilter.clean(text.toString(), sources);
            assertThat(String.join("", pieces)).as("seed %d, text '%s', %d sources", seed, text, sources)
                    .isEqualTo(whole.text());
            assertThat(filter.dropped()).as("seed %d, text '%s'", seed, text).isEqualTo(whole.droppedMarkers());
        }
    }
}
