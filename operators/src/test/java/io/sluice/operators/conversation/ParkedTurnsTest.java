package io.sluice.operators.conversation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ParkedTurnsTest {

    @Test
    void higherLanesStartFirstAndEachLaneInOrder() {
        ParkedTurns parked = new ParkedTurns(List.of("gold", "standard"));
        parked.park("large", "bulk", "t/b1");
        parked.park("large", "standard", "t/s1");
        parked.park("large", "gold", "t/g1");
        parked.park("large", "standard", "t/s2");
        parked.park("small", "gold", "t/g2");
        parked.park("large", "gold", "t/g3");
        assertThat(parked.size()).isEqualTo(6);
        assertThat(List.of(parked.next("large"), parked.next("large"), parked.next("large"), parked.next("large"),
                parked.next("large"))).containsExactly("t/g1", "t/g3", "t/s1", "t/s2", "t/b1");
        assertThat(parked.next("large")).isNull();
        assertThat(parked.next("small")).isEqualTo("t/g2");
        assertThat(parked.size()).isZero();
        assertThat(parked.laneOf("unknown")).as("tiers not named go last").isEqualTo(2);
    }

    @Test
    void withoutLanesItIsOneQueue() {
        ParkedTurns parked = new ParkedTurns(List.of());
        parked.park("m", "gold", "a");
        parked.park("m", "bulk", "b");
        assertThat(parked.next("m")).isEqualTo("a");
        assertThat(parked.next("m")).isEqualTo("b");
    }
}
