package io.sluice.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GcPausesTest {

    /** Written so that the JIT cannot drop the arrays as unused. */
    static volatile byte[] sink;

    @Test
    void countsWhatWasAllocatedAcrossCollectionsAndForgetsItOnClear() throws Exception {
        try (GcPauses gc = GcPauses.start()) {
            long heap = Runtime.getRuntime().maxMemory();
            // Twice the heap, so collections must have freed most of it.
            int megabytes = (int) Math.max(512, 2 * heap / (1 << 20));
            // As much again before the clear: counted, it would double the figure, past the bound below.
            allocate(megabytes);
            gc.clear();
            allocate(megabytes);
            long allocated = gc.allocatedBytes();
            long expected = (long) megabytes << 20;
            // Array headers add a little; one collection not yet reported may be missing or counted.
            assertThat(allocated).as("allocated %d MB in 64 kB arrays with a heap of %d MB", megabytes, heap >> 20)
                    .isBetween(expected * 9 / 10, expected * 11 / 10 + (heap / 2));
            assertThat(gc.count()).as("collections while %d MB went through a %d MB heap", megabytes, heap >> 20)
                    .isPositive();
        }
    }

    private static void allocate(int megabytes) {
        for (int i = 0; i < megabytes * 16; i++) {
            sink = new byte[1 << 16];
        }
    }
}
