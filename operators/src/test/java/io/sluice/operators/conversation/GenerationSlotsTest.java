package io.sluice.operators.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import java.util.List;

class GenerationSlotsTest {

    @Test
    void aBackendRunsAtMostItsSlotsAndOthersAreNotHeldUp() {
        GenerationSlots slots = new GenerationSlots(2, List.of());
        slots.started("a");
        assertThat(slots.free("a")).isTrue();
        slots.started("a");
        assertThat(slots.free("a")).isFalse();
        assertThat(slots.free("b")).as("another backend's slots are its own").isTrue();
        slots.ended("a");
        assertThat(slots.free("a")).isTrue();
        assertThat(slots.running()).isEqualTo(1);
        assertThat(slots.running("a")).isEqualTo(1);
    }

    @Test
    void aParkedTurnStartsOnlyWhenItsBackendHasASlotAndCountsInTheBacklogUntilThen() {
        GenerationSlots slots = new GenerationSlots(1, List.of());
        slots.started("a");
        slots.park("a", 0, "acme|c1", 10);
        slots.park("a", 0, "acme|c2", 20);
        assertThat(slots.backlog("a")).isEqualTo(3);
        assertThat(slots.next("a")).as("its one slot is taken").isNull();
        assertThat(slots.parked()).isEqualTo(2);
        assertThat(slots.oldestParked()).isEqualTo(10);
        slots.ended("a");
        assertThat(slots.next("a")).isEqualTo("acme|c1");
        assertThat(slots.parked("a")).isEqualTo(1);
        assertThat(slots.next("b")).as("nothing waits for b").isNull();
    }

    @Test
    void aBackendIsOverloadedAtSixteenParkedTurnsPerSlot() {
        GenerationSlots slots = new GenerationSlots(2, List.of());
        slots.started("a");
        slots.started("a");
        for (int i = 0; i < 2 * GenerationSlots.PARKED_PER_SLOT - 1; i++) {
            slots.park("a", 0, "acme|c" + i, i);
        }
        assertThat(slots.overloaded("a")).isFalse();
        assertThat(slots.full()).isFalse();
        slots.park("a", 0, "acme|last", 99);
        assertThat(slots.overloaded("a")).isTrue();
        assertThat(slots.overloaded("b")).isFalse();
        assertThat(slots.full()).as("as many parked as an overloaded backend has").isTrue();
    }

    @Test
    void aRemovedTurnNoLongerWaitsAndAnEndWithoutAStartIsABug() {
        GenerationSlots slots = new GenerationSlots(1, List.of());
        slots.started("a");
        slots.park("a", 0, "acme|c1", 5);
        ParkedTurns.Parked overdue = slots.parkedBy(5).get(0);
        assertThat(slots.remove(overdue)).isTrue();
        assertThat(slots.remove(overdue)).as("already taken off").isFalse();
        assertThat(slots.parked()).isZero();
        slots.ended("a");
        assertThatThrownBy(() -> slots.ended("a")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no generation of backend a");
        assertThatThrownBy(() -> new GenerationSlots(0, List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
