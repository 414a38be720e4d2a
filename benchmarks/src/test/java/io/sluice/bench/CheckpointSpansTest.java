package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.traces.Span;
import org.junit.jupiter.api.Test;

/**
 * The checkpoint spans as Flink 2.2's checkpoint statistics build them: the attribute names are
 * Flink's ("max"/"sum" + the metric, "checkpointedSize"), so an upgrade that renames them fails here.
 */
class CheckpointSpansTest {

    @Test
    void takesTheWindowTheSynchronousPartsAndTheBytesFromACheckpointSpan() {
        // Epoch 1970: no real checkpoint of another test in this JVM falls in this window.
        var conversation = Span.builder(CheckpointSpansTest.class, "Checkpoint_Task")
                .setAttribute("jobVertexId", "v-conversation").setAttribute("maxSyncCheckpointDurationMs", 41L);
        var admission = Span.builder(CheckpointSpansTest.class, "Checkpoint_Task")
                .setAttribute("jobVertexId", "v-admission").setAttribute("maxSyncCheckpointDurationMs", 12L);
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
                "17", 41, 53, "v-conversation 41 ms, v-admission 12 ms", 1_300_000));
        assertThat(CheckpointSpans.between(1_131, 1_500)).isEmpty();
    }
}
