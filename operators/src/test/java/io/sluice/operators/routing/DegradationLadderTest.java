package io.sluice.operators.routing;

import io.sluice.operators.routing.DegradationLadder.Step;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DegradationLadderTest {

    private final DegradationLadder ladder = DegradationLadder.of(List.of(4, 8, 16, 32));

    @Test
    void stepsAreTakenInOrderAsTheBacklogGrows() {
        assertThat(ladder.stepFor(3, 0, 1)).isEqualTo(Step.NONE);
        assertThat(ladder.stepFor(4, 0, 1)).isEqualTo(Step.SMALLER_TOP_K);
        assertThat(ladder.stepFor(8, 0, 1)).isEqualTo(Step.COMPRESSED_CONTEXT);
        assertThat(ladder.stepFor(16, 0, 1)).isEqualTo(Step.CHEAPER_PROFILE);
        assertThat(ladder.stepFor(1000, 0, 1)).isEqualTo(Step.OVERLOADED);
        assertThat(DegradationLadder.OFF.stepFor(1000, 0, 1)).isEqualTo(Step.NONE);
    }

    @Test
    void higherLanesTolerateMoreSoLowerTiersDegradeFirst() {
        // Two lanes: gold (0) tolerates twice the backlog of everyone else (1).
        assertThat(ladder.stepFor(8, 1, 2)).isEqualTo(Step.COMPRESSED_CONTEXT);
        assertThat(ladder.stepFor(8, 0, 2)).isEqualTo(Step.SMALLER_TOP_K);
        assertThat(ladder.stepFor(40, 1, 2)).isEqualTo(Step.OVERLOADED);
        assertThat(ladder.stepFor(40, 0, 2)).isEqualTo(Step.CHEAPER_PROFILE);
    }

    @Test
    void bulkTurnsDegradeAtHalfTheBacklogOfTheLowestInteractiveLane() {
        assertThat(ladder.stepForBulk(1)).isEqualTo(Step.NONE);
        assertThat(ladder.stepForBulk(2)).isEqualTo(Step.SMALLER_TOP_K);
        assertThat(ladder.stepFor(2, 0, 1)).isEqualTo(Step.NONE);
        assertThat(ladder.stepForBulk(8)).isEqualTo(Step.CHEAPER_PROFILE);
        assertThat(ladder.stepFor(8, 0, 1)).isEqualTo(Step.COMPRESSED_CONTEXT);
        assertThat(ladder.stepForBulk(500)).isEqualTo(Step.OVERLOADED);
    }

    @Test
    void aStepMayBeOffAndTheLadderNeedsFourThresholds() {
        DegradationLadder noRefusal = DegradationLadder.of(List.of(4, 0, 16, 0));
        assertThat(noRefusal.stepFor(10_000, 0, 1)).isEqualTo(Step.CHEAPER_PROFILE);
        assertThat(noRefusal.stepFor(10, 0, 1)).isEqualTo(Step.SMALLER_TOP_K);
        assertThatThrownBy(() -> DegradationLadder.of(List.of(1, 2))).hasMessageContaining("four thresholds");
    }
}
