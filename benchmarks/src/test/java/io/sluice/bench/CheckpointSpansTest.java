package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.traces.Span;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * The checkpoint spans as Flink 2.2's checkpoint statistics build them: the attribute names are
 * Flink's ("max"/"sum" + the metric, "checkpointedSize"), so an upgrade that renames them fails here.
 */
class CheckpointSpansTest {

    @Test
    void takesTheWindowTheSynchronousPartsAndTheBytesFromACheckpointSpan() {
        // Epoch 1970: no real checkpoint of another test in this JVM falls in this window.
        var conversation = Span.builder(CheckpointSpansTest.class, "Checkpoint_Task")
                .setAttribute("jobVertexId", "v-conversation").setAttribute("maxSyncCheckpointDurationMs", 41L)
                .setAttribute("sumCheckpointedSizeBytes", 1_100_000L);
        var admission = Span.builder(CheckpointSpansTest.class, "Checkpoint_Task")
                .setAttribute("jobVertexId", "v-admission").setAttribute("maxSyncCheckpointDurationMs", 12L)
                .setAttribute("sumCheckpointedSizeBytes", 200_000L);
        var idle = Span.builder(CheckpointSpansTest.class, "Checkpoint_Task")
                .setAttribute("jobVertexId", "v-source").setAttribute("maxSyncCheckpointDurationMs", 0L);
        Span checkpoint = Span.builder(CheckpointSpansTest.class, "Checkpoint")
                .setStartTsMillis(1_000).setEndTsMillis(1_130)
                .setAttribute("checkpointId", 17L)
                .setAttribute("maxSyncCheckpointDurationMs", 41L).setAttribute("sumSyncCheckpointDurationMs", 53L)
                .setAttribute("checkpointedSize", 1_300_000L)
                .addChild(admission).addChild(idle).addChild(conversation)
                .build();
        Span other = Span.builder(CheckpointSpansTest.class, "JobInitialization")
                .setStartTsMillis(1_010).setEndTsMillis(1_020).build();

        CheckpointSpans reporter = new CheckpointSpans();
        reporter.notifyOfAddedSpan(checkpoint);
        reporter.notifyOfAddedSpan(other);

        assertThat(CheckpointSpans.between(900, 1_050)).containsExactly(new CheckpointSpans.Window(1_000, 1_130,
                "17", 41, 53, "v-conversation 41 ms, v-admission 12 ms", 1_300_000,
                Map.of("v-conversation", 1_100_000L, "v-admission", 200_000L)));
        assertThat(CheckpointSpans.between(1_131, 1_500)).isEmpty();
    }

    @Test
    void summarizesWhatTheCheckpointsCost() {
        assertThat(CheckpointSpans.summarize(List.of(
                new CheckpointSpans.Window(0, 10, "1", 30, 40, "conversation 30 ms", 2_000_000,
                        Map.of("conversation", 1_500_000L, "audit", 500_000L)),
                new CheckpointSpans.Window(20, 30, "2", 4, 5, "", 500_000,
                        Map.of("conversation", 300_000L, "audit", 200_000L, "admission", 400L)),
                new CheckpointSpans.Window(40, 50, "3", 90, 95, "conversation 90 ms", 1_000_000,
                        Map.of("conversation", 700_000L, "audit", 300_000L)),
                new CheckpointSpans.Window(60, 70, "4"))))
                .isEqualTo("4 checkpoints; longest synchronous part median 30 ms, max 90 ms; "
                        + "written median 1000 kB, max 2000 kB; written per task, median: conversation 700 kB, "
                        + "audit 300 kB");
        assertThat(CheckpointSpans.summarize(List.of(new CheckpointSpans.Window(60, 70, "4"))))
                .isEqualTo("1 checkpoint");
    }
}
