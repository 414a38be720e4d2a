package io.sluice.model;

import java.io.Serializable;

/**
 * How an ONNX session runs: intra-op threads (parallelism inside one operator, e.g. a matrix
 * multiply), inter-op threads (independent graph branches; 1 suits these sequential encoders), and
 * the execution provider.
 */
public record RuntimeOptions(int intraOpThreads, int interOpThreads, ExecutionProvider provider)
        implements Serializable {

    /** Where inference runs. */
    public enum ExecutionProvider {
        CPU,
        /** NVIDIA GPUs; needs the {@code gpu} build profile (onnxruntime_gpu) and a CUDA driver. */
        CUDA
    }

    public static final RuntimeOptions DEFAULT = new RuntimeOptions(1, 1, ExecutionProvider.CPU);

    public RuntimeOptions {
        if (intraOpThreads < 1 || interOpThreads < 1) {
            throw new IllegalArgumentException("ONNX Runtime thread counts must be at least 1");
        }
        if (provider == null) {
            throw new IllegalArgumentException("an execution provider is required");
        }
    }

    public static RuntimeOptions cpu(int intraOpThreads) {
        return new RuntimeOptions(intraOpThreads, 1, ExecutionProvider.CPU);
    }

    /** Identifies sessions that can be shared: same model and same options. */
    String key() {
        return provider + ":" + intraOpThreads + ":" + interOpThreads;
    }
}
