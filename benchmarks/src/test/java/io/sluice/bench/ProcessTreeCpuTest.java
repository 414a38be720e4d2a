package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class ProcessTreeCpuTest {

    @Test
    void cpuTimeIsUtimeStimeAndTheEndedChildrensCountedAfterTheCommand() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
        String line = "4242 (postgres: a) b (c)) S 1 4242 4242 0 -1 4194560 900 80 3 1 250 40 1200 300 20 0 1 0 77";
        assertThat(ProcessTreeCpu.cpuTicks(line)).isEqualTo(250 + 40 + 1200 + 300);
    }

    @Test
    void aLineWithoutItsCommandIsRefused() {
        assertThatThrownBy(() -> ProcessTreeCpu.cpuTicks("4242 S 1 2 3")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aProcessThatIsGoneIsUnknownNotZero() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        assertThat(new ProcessTreeCpu(p.pid()).ticks()).isEqualTo(-1);
    }

    @Test
    void aProcessesTimeGrowsWithItsWorkAndTheSpentTimeIsInMilliseconds() {
        assumeThat(Files.isReadable(Path.of("/proc/self/stat"))).as("Linux's /proc, to read process times").isTrue();
        ProcessTreeCpu self = new ProcessTreeCpu(ProcessHandle.current().pid());
        CpuUse before = CpuUse.now(self);
        long sum = 0;
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) {
            sum += Long.numberOfTrailingZeros(sum + System.nanoTime());
        }
        CpuUse.Spent spent = before.until(CpuUse.now(self));
        assertThat(sum).isPositive();
        // 300 ms of a spinning thread, less what a busy machine gave to others. Ticks are 10 ms each:
        // read as anything else, the time would be ten times off one way or the other.
        assertThat(spent.postgresMillis()).isGreaterThan(100.0).isLessThan(2 * spent.processMillis());
        assertThat(CpuUse.now().until(CpuUse.now()).postgresMillis()).isNaN();
    }
}
