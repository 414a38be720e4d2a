package io.sluice.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import javax.management.ListenerNotFoundException;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The garbage-collection pauses of this JVM while it is open, from the collectors' notifications: a
 * pause anywhere in a JVM stops every thread of it, so it shows in the percentiles of whatever that
 * JVM measures.
 */
final class GcPauses implements AutoCloseable {

    private final List<Long> millis = Collections.synchronizedList(new ArrayList<>());
    private final NotificationListener listener = (notification, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
            // ZGC and Shenandoah report their concurrent cycles beside their pauses; a cycle stops no thread.
            if (!info.getGcName().endsWith(" Cycles")) {
                millis.add(info.getGcInfo().getDuration());
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

    /** Forgets the pauses so far. */
    void clear() {
        millis.clear();
    }

    int count() {
        return millis.size();
    }

    double longestMillis() {
        synchronized (millis) {
            return millis.stream().mapToLong(Long::longValue).max().orElse(0);
        }
    }

    @Override
    public void close() throws ListenerNotFoundException {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) gc).removeNotificationListener(listener);
        }
    }
}
