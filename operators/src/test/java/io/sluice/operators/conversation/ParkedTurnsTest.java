package io.sluice.operators.conversation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ParkedTurnsTest {

    @Test
    void higherLanesStartFirstAndEachLaneInOrder() {
        ParkedTurns parked = new ParkedTurns(List.of("gold", "standard"));
        parked.park("large", parked.laneOf("trial", false), "t/t1");
        parked.park("large", parked.laneOf("gold", true), "t/bulk-gold");
        parked.park("large", parked.laneOf("standard", false), "t/s1");
        parked.park("large", parked.laneOf("gold", false), "t/g1");
        parked.park("large", parked.laneOf("standard", false), "t/s2");
        parked.park("small", parked.laneOf("gold", false), "t/g2");
        parked.park("large", parked.laneOf("gold", false), "t/g3");
        assertThat(parked.size()).isEqualTo(7);
        assertThat(parked.size("large")).isEqualTo(6);
        assertThat(List.of(parked.next("large"), parked.next("large"), parked.next("large"), parked.next("large"),
                parked.next("large"), parked.next("large")))
                .as("named tiers in order, then other tiers, then bulk work of any tier")
                .containsExactly("t/g1", "t/g3", "t/s1", "t/s2", "t/t1", "t/bulk-gold");
        assertThat(parked.next("large")).isNull();
        assertThat(parked.next("small")).isEqualTo("t/g2");
        assertThat(parked.size()).isZero();
        assertThat(parked.lanes()).isEqualTo(4);
    }

    @Test
    void withoutLanesInteractiveTurnsAreOneQueueAheadOfBulkOnes() {
        ParkedTurns parked = new ParkedTurns(List.of());
        parked.park("m", parked.laneOf("gold", true), "bulk");
        parked.park("m", parked.laneOf("gold", false), "a");
        parked.park("m", parked.laneOf("trial", false), "b");
        assertThat(List.of(parked.next("m"), parked.next("m"), parked.next("m"))).containsExactly("a", "b", "bulk");
    }
}
