package io.sluice.bench;

import io.sluice.bench.StageBreakdown.Part;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class StageBreakdownTest {

    /**
     * A request sent at 0 µs: validate 100-300, admission 500-600, embed 900-4,900 with a model
     * call of {@code call} µs, retrieve 5,000-5,400, conversation 5,500-6,000; read back at
     * {@code received}; everything shifted by {@code shift} after validate (a slow shuffle).
     */
    private static StageBreakdown.Request request(long received, long call, long shift) {
        return new StageBreakdown.Request(0, received + shift, call, stages(100, 300, 500 + shift,
                600 + shift, 900 + shift, 4_900 + shift, 5_000 + shift, 5_400 + shift, 5_500 + shift, 6_000 + shift));
    }

    /** Stage times from (start, end) pairs in the stages' order; stages left out were not seen. */
    private static StageTimes stages(long... startEndPairs) {
        return builder(startEndPairs).build();
    }

    /** As above, with the embed call's end at {@code callEnded}. */
    private static StageTimes stagesCalledAt(long callEnded, long... startEndPairs) {
        return builder(startEndPairs).embedCallEnded(callEnded).build();
    }

    private static StageTimes.Builder builder(long... startEndPairs) {
        StageTimes.Builder b = new StageTimes.Builder();
        for (int i = 0; i + 1 < startEndPairs.length; i += 2) {
            b.set(StageTimes.Stage.values()[i / 2], startEndPairs[i], startEndPairs[i + 1]);
        }
        return b;
    }

    @Test
    void thePartsAddUpToTheLatencyAndSplitTheEmbedSpanIntoWaitAndCall() {
        StageBreakdown.Request r = request(7_000, 3_000, 0);
        double[] parts = r.parts();
        assertThat(Arrays.stream(parts).sum()).isCloseTo(7.0, within(1e-9));
        assertThat(parts[Part.TO_VALIDATE.ordinal()]).isEqualTo(0.1);
        assertThat(parts[Part.TO_ADMISSION.ordinal()]).isEqualTo(0.2);
        assertThat(parts[Part.EMBED_WAIT.ordinal()]).isEqualTo(1.0);
        assertThat(parts[Part.EMBED_CALL.ordinal()]).isEqualTo(3.0);
        assertThat(parts[Part.TO_CLIENT.ordinal()]).isEqualTo(1.0);
        assertThat(r.overheadMillis()).isEqualTo(4.0);
    }

    @Test
    void theCallsEndSplitsTheWaitBeforeItFromTheWaitToBeHandedOn() {
        // Embed spans 900-4,900 µs; its call of 3,000 µs returned at 4,400: 500 before, 500 after.
        StageBreakdown.Request r = new StageBreakdown.Request(0, 7_000, 3_000, stagesCalledAt(4_400, 100, 300, 500, 600,
                900, 4_900, 5_000, 5_400, 5_500, 6_000));
        double[] parts = r.parts();
        assertThat(parts[Part.EMBED_WAIT.ordinal()]).isEqualTo(0.5);
        assertThat(parts[Part.EMBED_CALL.ordinal()]).isEqualTo(3.0);
        assertThat(parts[Part.EMBED_HAND_ON.ordinal()]).isEqualTo(0.5);
        assertThat(parts[Part.TO_RETRIEVE.ordinal()]).isEqualTo(0.1);
        assertThat(Arrays.stream(parts).sum()).isCloseTo(7.0, within(1e-9));
        // An end the clocks put before the call could have ended leaves no negative wait.
        parts = new StageBreakdown.Request(0, 7_000, 3_000, stagesCalledAt(3_000, 100, 300, 500, 600, 900, 4_900, 5_000,
                5_400, 5_500, 6_000)).parts();
        assertThat(parts[Part.EMBED_WAIT.ordinal()]).isZero();
        assertThat(parts[Part.EMBED_HAND_ON.ordinal()]).isEqualTo(1.0);
    }

    @Test
    void aCallLongerThanTheSpanCountsAsTheSpanNoWaitBelowZero() {
        // The answer's call time and the span come from two clocks; the wait never goes negative.
        double[] parts = request(7_000, 4_500, 0).parts();
        assertThat(parts[Part.EMBED_WAIT.ordinal()]).isZero();
        assertThat(parts[Part.EMBED_CALL.ordinal()]).isEqualTo(4.0);
    }

    @Test
    void theTailIsTheSlowestPercentByOverheadAndNamesWhatMadeIt() {
        List<StageBreakdown.Request> answered = new ArrayList<>();
        for (int i = 0; i < 197; i++) {
            answered.add(request(7_000, 3_000, 0));
        }
        // Three requests whose shuffle to admission took 20 ms more, and one with a slow model call
        // only: its overhead is the others', so it is not in the tail.
        for (int i = 0; i < 3; i++) {
            answered.add(request(7_000, 3_000, 20_000));
        }
        answered.add(new StageBreakdown.Request(0, 27_000, 23_000, stages(100, 300, 500, 600, 900, 24_900,
                25_000, 25_400, 25_500, 26_000)));
        // One whose conversation span was not exported.
        answered.add(new StageBreakdown.Request(0, 7_000, 3_000, stages(100, 300, 500, 600, 900, 4_900,
                5_000, 5_400)));

        StageBreakdown.Summary s = StageBreakdown.of(answered);

        assertThat(s.traced()).isEqualTo(201);
        assertThat(s.untraced()).isEqualTo(1);
        assertThat(s.overheadP99()).isEqualTo(24.0);
        assertThat(s.tailCount()).isEqualTo(3);
        assertThat(s.tailMeans()[Part.TO_ADMISSION.ordinal()]).isCloseTo(20.2, within(1e-9));
        assertThat(s.medians()[Part.TO_ADMISSION.ordinal()]).isCloseTo(0.2, within(1e-9));
        assertThat(s.medians()[Part.EMBED_CALL.ordinal()]).isEqualTo(3.0);
        assertThat(s.p99s()[Part.TO_ADMISSION.ordinal()]).isCloseTo(20.2, within(1e-9));
        assertThat(s.kafkaP99()).isCloseTo(1.1, within(1e-9));
        assertThat(s.table())
                .contains("| validate to admission (keyBy tenant) | 0.20 | 20.20 | 20.20 | 84 % |")
                .contains("| embed: model call | 3.00 | 3.00 | 3.00 | (model time) |")
                .contains("Kafka's two legs alone (to validate, and from conversation to the client: the path a "
                        + "pass-through job has), p99 1.10 ms.")
                .contains("1 answered requests had a stage's span missing");
    }
}
