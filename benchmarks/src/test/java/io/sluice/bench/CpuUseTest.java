package io.sluice.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class CpuUseTest {

    @Test
    void idleAndIowaitAreTheOnlyTicksNotBusy() {
        // user nice system idle iowait irq softirq steal guest guest_nice (guest is already in user)
        long[] ticks = CpuUse.busyAndTotal("cpu  20926 3 1007 824563 210 5 478 15 7 0");
        assertThat(ticks).containsExactly(20926 + 3 + 1007 + 5 + 478 + 15, 20926 + 3 + 1007 + 824563 + 210 + 5 + 478 + 15);
    }

    @Test
    void onlyTheTotalLineIsRead() {
        assertThatThrownBy(() -> CpuUse.busyAndTotal("cpu0 10590 0 498 412131 123 0 234 8 0 0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpu0");
    }

    @Test
    void theMachinesCpuTimeIsItsBusyShareOfEveryCpuOverTheWallTime() {
        CpuUse start = new CpuUse(0, 0, 1_000, 10_000, 2, 100);
        // One second later: 150 of 200 ticks busy on two CPUs is 1.5 s of CPU; this JVM used 0.9 s of it.
        CpuUse.Spent spent = start.until(new CpuUse(1_000_000_000L, 900_000_000L, 1_150, 10_200, 2, 350));
        assertThat(spent.wallMillis()).isEqualTo(1000.0);
        assertThat(spent.machineMillis()).isCloseTo(1500.0, within(1e-9));
        assertThat(spent.processMillis()).isEqualTo(900.0);
        assertThat(spent.machinePer(300)).isCloseTo(5.0, within(1e-9));
        assertThat(spent.processPer(300)).isEqualTo(3.0);
        assertThat(spent.jitMillis()).isEqualTo(250.0);
        assertThat(spent.jitShare()).isEqualTo(0.25);
    }

    @Test
    void coresBusyAndStolenAreTheTicksSharesOfEveryCpu() {
        CpuUse first = new CpuUse(0, 0, 500, 2_000, 2, 100, 20, -1);
        // 100 ms later, 20 ticks of 2 CPUs: 15 busy, 4 of them stolen; the JIT compiled 30 ms meanwhile.
        CpuUse.Spent spent = first.until(new CpuUse(100_000_000L, 0, 515, 2_020, 2, 130, 24, -1));
        assertThat(spent.coresBusy()).isCloseTo(1.5, within(1e-9));
        assertThat(spent.coresStolen()).isCloseTo(0.4, within(1e-9));
        assertThat(spent.jitMillis()).isEqualTo(30);
        // A moment whose stolen ticks are not known leaves the stolen share unknown.
        assertThat(new CpuUse(0, 0, 500, 2_000, 2, 100).until(new CpuUse(100_000_000L, 0, 515, 2_020, 2, 130))
                .coresStolen()).isNaN();
    }

    @Test
    void stealIsTheEighthNumberOfTheTotalLine() {
        assertThat(CpuUse.steal("cpu  100 2 30 400 5 6 7 81 0 0")).isEqualTo(81);
    }

    @Test
    void withoutProcStatOrJitMonitoringTheirSharesAreUnknownNotZero() {
        CpuUse.Spent spent = new CpuUse(0, 0, -1, -1, 0, -1).until(new CpuUse(1_000_000, 500_000, -1, -1, 0, -1));
        assertThat(spent.machineMillis()).isNaN();
        assertThat(spent.processMillis()).isEqualTo(0.5);
        assertThat(spent.jitMillis()).isNaN();
    }

    @Test
    void thisJvmsCpuTimeGrowsWithWorkOnIt() {
        CpuUse before = CpuUse.now();
        long sum = 0;
        long until = System.nanoTime() + 200_000_000L;
        while (System.nanoTime() < until) {
            sum += Long.numberOfTrailingZeros(sum + System.nanoTime());
        }
        CpuUse.Spent spent = before.until(CpuUse.now());
        assertThat(sum).isPositive();
        // 200 ms of a spinning thread, less whatever the scheduler gave to others on a busy machine.
        assertThat(spent.processMillis()).isGreaterThan(50.0);
        if (!Double.isNaN(spent.machineMillis())) {
            assertThat(spent.machineMillis()).isGreaterThan(50.0);
        }
    }
}
