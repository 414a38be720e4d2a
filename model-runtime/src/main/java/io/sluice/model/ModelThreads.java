package io.sluice.model;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.lang.management.ManagementFactory;

/**
 * The threads that run model calls, at the lowest Java priority. A model call is seconds of CPU
 * a minute that nothing waits on but its own batch; the task threads, Kafka's clients and Flink's
 * network stack each run for microseconds at a time, and every request of the job waits on them.
 * When the cores are short, the operating system should run those first and the model in what is
 * left: on two cores at 200 requests/s, that took the serving path's overhead p99 to a third
 * (docs/BENCHMARKS.md, "The model threads yield").
 *
 * <p>The JVM passes Java priorities to Linux only with {@code -XX:ThreadPriorityPolicy=1}
 * ({@link #prioritiesHonoured()}; Sluice's {@code env.java.opts.taskmanager} and the {@code sluice}
 * script set it). Priority 1 is then nice 4, which any user may set on their own threads; without
 * the flag the priority changes nothing. ONNX Runtime's own intra-op threads, when a session has
 * more than one, keep the priority of the thread that created the session.
 */
public final class ModelThreads {

    /**
     * The JVM flags that make Java priorities the threads' nice values. Priorities above normal stay
     * at nice 0: run as root, the JVM would otherwise raise its own threads (the JIT's compilers,
     * the VM thread) above everything else, and run as any other user it could not, so the same
     * flags would schedule differently by who runs them.
     */
    public static final String JVM_FLAGS = "-XX:ThreadPriorityPolicy=1 -XX:JavaPriority6_To_OSPriority=0 "
            + "-XX:JavaPriority7_To_OSPriority=0 -XX:JavaPriority8_To_OSPriority=0 "
            + "-XX:JavaPriority9_To_OSPriority=0 -XX:JavaPriority10_To_OSPriority=0";

    private ModelThreads() {}

    /**
     * Whether this JVM passes thread priorities to the operating system. Asked by whoever reports
     * it (a benchmark's header, a test), not when a model thread starts: the answer changes nothing
     * a thread does.
     */
    public static boolean prioritiesHonoured() {
        var vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        try {
            return vm != null && "true".equals(vm.getVMOption("UseThreadPriorities").getValue())
                    && "1".equals(vm.getVMOption("ThreadPriorityPolicy").getValue());
        } catch (IllegalArgumentException e) {
            return false; // a JVM without these options
        }
    }

    /** A daemon thread named {@code name} that runs model calls, at {@link Thread#MIN_PRIORITY}. */
    public static Thread newThread(Runnable task, String name) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    }
}
