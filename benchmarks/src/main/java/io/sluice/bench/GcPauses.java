package io.sluice.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The garbage-collection pauses of this JVM while it is open, from the collectors' notifications: a
 * pause anywhere in a JVM stops every thread of it, so it shows in the percentiles of whatever that
 * JVM measures. Also the heap it allocated: what the collections freed plus what the heap grew by.
 * Unlike CPU time, that does not depend on how fast the machine runs, so it resolves a change in
 * what a request allocates (which is what young pauses come with) in a single run.
 */
final class GcPauses implements AutoCloseable {

    /** A pause: when it began (epoch ms, this JVM's clock) and how long it took (ms). */
    record Pause(long startEpochMillis, long millis) {}

    /** When this JVM started (epoch ms): the collectors time their pauses from it. */
    private static final long JVM_START = ManagementFactory.getRuntimeMXBean().getStartTime();

    private final List<Pause> pauses = Collections.synchronizedList(new ArrayList<>());
    private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName)
            .collect(Collectors.toSet());
    private final AtomicLong freed = new AtomicLong();
    private volatile long usedAtClear = heapUsed();
    private final NotificationListener listener = (notification, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            freed.addAndGet(heapUsed(info.getGcInfo().getMemoryUsageBeforeGc())
                    - heapUsed(info.getGcInfo().getMemoryUsageAfterGc()));
            // ZGC and Shenandoah report their concurrent cycles beside their pauses; a cycle stops no thread.
            if (!info.getGcName().endsWith(" Cycles")) {
                pauses.add(new Pause(JVM_START + info.getGcInfo().getStartTime(), info.getGcInfo().getDuration()));
            }
        }
    };

    private GcPauses() {}

    static GcPauses start() {
        GcPauses pauses = new GcPauses();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).addNotificationListener(pauses.listener, null, null);
        }
        return pauses;
    }

    /** Forgets the pauses and the allocation so far. */
    void clear() {
        pauses.clear();
        freed.set(0);
        usedAtClear = heapUsed();
    }

    /**
     * Bytes allocated on the heap since the last clear: freed by collections, plus the heap's growth.
     * A collection whose notification has not arrived yet counts as growth until it does, so the
     * figure is right to within one collection either way.
     */
    long allocatedBytes() {
        return freed.get() + heapUsed() - usedAtClear;
    }

    private long heapUsed(Map<String, MemoryUsage> pools) {
        return pools.entrySet().stream().filter(e -> heapPools.contains(e.getKey()))
                .mapToLong(e -> e.getValue().getUsed()).sum();
    }

    private static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    int count() {
        return pauses.size();
    }

    double longestMillis() {
        synchronized (pauses) {
            return pauses.stream().mapToLong(Pause::millis).max().orElse(0);
        }
    }

    /** The pauses since the last clear, in the order they were reported. */
    List<Pause> pauses() {
        synchronized (pauses) {
            return List.copyOf(pauses);
        }
    }

    @Override
    public void close() throws ListenerNotFoundException {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).removeNotificationListener(listener);
        }
    }
}
