package io.sluice.gateway;

import java.util.Arrays;

/**
 * The time a gateway instance adds to a request, in two parts: {@link #inbound} from the HTTP
 * request's arrival to the turn handed to Kafka's producer (authentication, parsing, signing), and
 * {@link #outbound} from the answer's record polled off the reply partition to the HTTP response
 * written (the hop to the event loop and the OpenAI rendering); and {@link #added}, the two summed
 * per answered request, which is what one client waits longer than a Kafka-native producer would.
 * The network, Kafka and the job are not in it: a client writing to Kafka directly pays those too.
 * Each keeps its most recent samples (a ring), enough for percentiles over a benchmark run.
 */
public final class GatewayLatency {

    /** Samples kept per part. */
    static final int CAPACITY = 1 << 16;

    final Samples inbound = new Samples();
    final Samples outbound = new Samples();
    final Samples added = new Samples();

    /** The most recent durations of one part, in nanoseconds. */
    public static final class Samples {
        private final long[] ring = new long[CAPACITY];
        private long count;

        synchronized void record(long nanos) {
            ring[(int) (count++ % CAPACITY)] = nanos;
        }

        /** The {@code p}-th percentile (nearest rank) of the kept samples in ms; NaN without samples. */
        public synchronized double percentileMillis(double p) {
            int n = (int) Math.min(count, CAPACITY);
            if (n == 0) {
                return Double.NaN;
            }
            long[] sorted = Arrays.copyOf(ring, n);
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(p / 100.0 * n);
            return sorted[Math.max(0, Math.min(n - 1, rank - 1))] / 1e6;
        }

        public synchronized long count() {
            return count;
        }

        public synchronized void clear() {
            count = 0;
        }
    }

    public Samples inbound() {
        return inbound;
    }

    public Samples outbound() {
        return outbound;
    }

    /** Inbound plus outbound of each answered request. */
    public Samples added() {
        return added;
    }

    /** Forgets every sample, for a new measurement. */
    public void clear() {
        inbound.clear();
        outbound.clear();
        added.clear();
    }
}
