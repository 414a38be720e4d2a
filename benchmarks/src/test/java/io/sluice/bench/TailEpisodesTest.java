package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

class TailEpisodesTest {

    @Test
    void groupsTheSlowRequestsByWhenTheyWereSentAndNamesWhatOverlappedThem() {
        // 100 requests 10 ms apart from t = 0, 20 ms each, except two bursts of slow ones.
        double[] sent = new double[100];
        double[] latency = new double[100];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = 10.0 * i;
            latency[i] = 20;
        }
        latency[20] = 300; // sent at 200 ms, with 21 and 22: one episode (10 ms apart)
        latency[21] = 290;
        latency[22] = 280;
        latency[70] = 250; // sent at 700 ms: an episode of its own
        latency[50] = Double.NaN; // not answered: never slow
        var checkpoint = new CheckpointSpans.Window(150, 260, "7", 41, 56, "conversation 41 ms, admission 15 ms",
                2_500_000, java.util.Map.of());
        var far = new CheckpointSpans.Window(2_000, 2_100, "8");
        var pause = new GcPauses.Pause(720, 15);

        // The machine's load is known over the second episode only.
        // 100 ms in which 1.9 cores were busy, 0.4 of them stolen, the JIT compiled 30 ms and PostgreSQL used 55 ms.
        var load = new CpuUse.Spent(100, 0, 190, 30, 40, 55);
        TailEpisodes.Summary summary = TailEpisodes.of(sent, latency, 250, 0, 1_010, List.of(checkpoint, far),
                List.of(pause), (from, to) -> from >= 700 ? load : null);

        assertThat(summary.slowRequests()).isEqualTo(4);
        assertThat(summary.episodes()).hasSize(2);
        TailEpisodes.Episode first = summary.episodes().get(0);
        assertThat(first.requests()).isEqualTo(3);
        assertThat(first.firstSent()).isEqualTo(200);
        assertThat(first.lastAnswered()).isEqualTo(500); // 200 + 300 beats 210 + 290 and 220 + 280
        assertThat(first.worstMillis()).isEqualTo(300);
        assertThat(first.checkpoints()).containsExactly(checkpoint);
        assertThat(first.pauses()).isEmpty();
        assertThat(first.load()).isNull();
        TailEpisodes.Episode second = summary.episodes().get(1);
        assertThat(second.requests()).isEqualTo(1);
        assertThat(second.checkpoints()).isEmpty();
        assertThat(second.pauses()).containsExactly(pause);
        assertThat(second.load()).isEqualTo(load);
        assertThat(summary.atCheckpoints()).isEqualTo(1);
        assertThat(summary.cell()).startsWith("2 / 1 (");
        assertThat(summary.describe(0)).startsWith("slowest requests (4 at or above p99 250.0 ms) in 2 episodes; "
                + "1 overlap one of the run's 2 checkpoints");
        assertThat(summary.describe(0)).contains("+0.20 s: 3 requests over 300 ms, worst 300 ms; "
                + "checkpoint 7 from -50 ms for 110 ms, 2.5 MB written (synchronous parts: longest 41 ms, all tasks "
                + "56 ms: conversation 41 ms, admission 15 ms)")
                .contains("+0.70 s: 1 requests over 250 ms, worst 250 ms; 1.90 cores busy (0.40 stolen), the JIT "
                        + "compiling 30 ms, PostgreSQL 0.55 cores; after checkpoint 7, which ended 440 ms before; GC pause at +20 ms for 15 ms");
    }

    @Test
    void theChanceOfOverlapIsTheShareOfStartsThatMeetACheckpoint() {
        var a = new CheckpointSpans.Window(100, 200, "1");
        var b = new CheckpointSpans.Window(150, 400, "2"); // overlaps a: counted once
        // Starts of a 100 ms interval within [0, 900] that meet a or b: [0, 400], 400 of 900.
        assertThat(TailEpisodes.chanceOfOverlap(100, 0, 1_000, List.of(b, a))).isCloseTo(400 / 900.0, within(1e-9));
        // A checkpoint at the very end: the starts [800, 900] of 900.
        assertThat(TailEpisodes.chanceOfOverlap(100, 0, 1_000, List.of(new CheckpointSpans.Window(900, 990, "3"))))
                .isCloseTo(100 / 900.0, within(1e-9));
        assertThat(TailEpisodes.chanceOfOverlap(100, 0, 1_000, List.of())).isZero();
        // An episode as long as the run overlaps whatever checkpoint there is.
        assertThat(TailEpisodes.chanceOfOverlap(1_000, 0, 1_000, List.of(a))).isEqualTo(1);
    }
}
