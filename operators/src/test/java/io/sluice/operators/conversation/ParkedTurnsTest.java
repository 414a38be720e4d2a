package io.sluice.operators.conversation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ParkedTurnsTest {

    @Test
    void higherLanesStartFirstAndEachLaneInOrder() {
        ParkedTurns parked = new ParkedTurns(List.of("gold", "standard"));
        parked.park("large", parked.laneOf("trial", false), "t/t1", 0);
        parked.park("large", parked.laneOf("gold", true), "t/bulk-gold", 0);
        parked.park("large", parked.laneOf("standard", false), "t/s1", 0);
        parked.park("large", parked.laneOf("gold", false), "t/g1", 0);
        parked.park("large", parked.laneOf("standard", false), "t/s2", 0);
        parked.park("small", parked.laneOf("gold", false), "t/g2", 0);
        parked.park("large", parked.laneOf("gold", false), "t/g3", 0);
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
        parked.park("m", parked.laneOf("gold", true), "bulk", 0);
        parked.park("m", parked.laneOf("gold", false), "a", 0);
        parked.park("m", parked.laneOf("trial", false), "b", 0);
        assertThat(List.of(parked.next("m"), parked.next("m"), parked.next("m"))).containsExactly("a", "b", "bulk");
    }

    @Test
    void turnsParkedLongEnoughAreFoundOldestFirstAndBulkOnesWait() {
        ParkedTurns parked = new ParkedTurns(List.of("gold"));
        parked.park("m", parked.laneOf("gold", false), "g1", 100);
        parked.park("m", parked.laneOf("standard", false), "s1", 50);
        parked.park("m", parked.laneOf("standard", false), "s2", 300);
        parked.park("m", parked.laneOf("standard", true), "b1", 10);
        parked.park("n", parked.laneOf("gold", false), "g2", 200);
        assertThat(parked.oldest()).isEqualTo(10);
        assertThat(parked.parkedBy(250)).extracting(ParkedTurns.Parked::key)
                .as("interactive turns only; bulk work may wait").containsExactlyInAnyOrder("g1", "s1", "g2");
        ParkedTurns.Parked s1 = parked.parkedBy(60).get(0);
        assertThat(parked.remove(s1)).isTrue();
        assertThat(parked.remove(s1)).as("already taken").isFalse();
        assertThat(parked.size("m")).isEqualTo(3);
        assertThat(List.of(parked.next("m"), parked.next("m"), parked.next("m"))).containsExactly("g1", "s2", "b1");
    }
}
