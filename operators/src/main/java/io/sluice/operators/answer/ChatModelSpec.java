package io.sluice.operators.answer;

import io.sluice.model.chat.ChatModel;

import java.io.Serializable;

/**
 * How to open a generative answer model on a TaskManager. Specs travel in the job graph; the model
 * they open is shared by every subtask of the JVM whose spec has the same {@link #sharingKey}.
 */
public interface ChatModelSpec extends Serializable {

    /** Equal for specs that may share one open model (one HTTP client, one ONNX session). */
    String sharingKey();

    ChatModel open();

    /**
     * Whether the model sends what it is given out of the job (a remote server), which residency
     * rules care about; in-process models do not.
     */
    default boolean remote() {
        return false;
    }
}
