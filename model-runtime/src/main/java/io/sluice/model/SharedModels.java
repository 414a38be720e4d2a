package io.sluice.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One loaded model per JVM and key, shared by every operator instance that asks for it, and closed
 * when the last one lets go.
 *
 * <p>On a TaskManager all slots of a job share one user-code class loader, so this registry gives
 * one ONNX session per TaskManager and job: a 90 MB model is loaded once however many subtasks run
 * there, and its native memory is freed when the job's last subtask closes. ONNX Runtime sessions
 * are thread-safe, so sharing needs no further locking. This is the one place in Sluice that keeps
 * process-wide state, deliberately.
 */
public final class SharedModels {

    private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);

    private static final Map<String, Entry> MODELS = new HashMap<>();

    private SharedModels() {}

    /** A reference to a shared model; closing it releases the reference, not the model. */
    public static final class Lease<M extends AutoCloseable> implements AutoCloseable {
        private final String key;
        private final M model;
        private boolean released;

        private Lease(String key, M model) {
            this.key = key;
            this.model = model;
        }

        public M get() {
            if (released) {
                throw new IllegalStateException("Model lease for " + key + " was already released");
            }
            return model;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                release(key);
            }
        }
    }

    private static final class Entry {
        final AutoCloseable model;
        int references;

        Entry(AutoCloseable model) {
            this.model = model;
        }
    }

    /** Returns the model under {@code key}, loading it with {@code loader} if nobody holds it. */
    @SuppressWarnings("unchecked")
    public static synchronized <M extends AutoCloseable> Lease<M> acquire(String key, Supplier<M> loader) {
        Entry entry = MODELS.get(key);
        if (entry == null) {
            entry = new Entry(loader.get());
            MODELS.put(key, entry);
        }
        entry.references++;
        LOG.debug("Model {} acquired ({} users)", key, entry.references);
        return new Lease<>(key, (M) entry.model);
    }

    private static synchronized void release(String key) {
        Entry entry = MODELS.get(key);
        if (entry == null) {
            return;
        }
        if (--entry.references == 0) {
            MODELS.remove(key);
            try {
                entry.model.close();
                LOG.info("Closed shared model {} after its last user", key);
            } catch (Exception e) {
                LOG.warn("Closing shared model {} failed: {}", key, e.toString());
            }
        }
    }

    /** How many users hold {@code key}; 0 when it is not loaded. */
    public static synchronized int users(String key) {
        Entry entry = MODELS.get(key);
        return entry == null ? 0 : entry.references;
    }
}
