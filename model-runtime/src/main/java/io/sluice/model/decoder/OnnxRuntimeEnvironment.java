package io.sluice.model.decoder;

import io.sluice.model.DjlSetup;
import io.sluice.model.RuntimeOptions;

import ai.djl.engine.Engine;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * The process-wide ONNX Runtime environment and sessions on it. ONNX Runtime allows one
 * environment per process and fixes its options at creation; DJL's engine creates it with its own,
 * so DJL is started first and this code only joins the environment it made.
 */
final class OnnxRuntimeEnvironment {

    private static final Logger LOG = LoggerFactory.getLogger(OnnxRuntimeEnvironment.class);

    private OnnxRuntimeEnvironment() {}

    static OrtEnvironment get() {
        DjlSetup.offline();
        Engine.getEngine("OnnxRuntime");
        return OrtEnvironment.getEnvironment();
    }

    /** A session with the options' threads, on CUDA when asked for and usable, else on CPU (logged). */
    static OrtSession open(OrtEnvironment env, Path model, RuntimeOptions options) throws OrtException {
        OrtSession.SessionOptions session = new OrtSession.SessionOptions();
        session.setIntraOpNumThreads(options.intraOpThreads());
        session.setInterOpNumThreads(options.interOpThreads());
        session.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (options.provider() == RuntimeOptions.ExecutionProvider.CUDA) {
            try {
                session.addCUDA(0);
            } catch (OrtException | UnsatisfiedLinkError | RuntimeException e) {
                LOG.warn("Execution provider CUDA failed to start for {} ({}); falling back to CPU (build with -Pgpu "
                        + "for onnxruntime_gpu, and check the CUDA driver)", model, e.toString());
            }
        }
        return env.createSession(model.toString(), session);
    }
}
