package io.sluice.operators.batch;

import io.sluice.model.EmbeddingModel;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.SharedModels;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.EmbeddedRequest;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;

import org.apache.flink.api.common.functions.RuntimeContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The serving job's {@code embed} stage: one model call per batch of questions. The model is the
 * TaskManager's shared instance. A question's vector does not depend on its batch (see
 * {@code OnnxEmbeddingModelTest}), so batching never changes an answer.
 */
public final class QuestionEmbedder extends BatchFunction<ChatRequest, EmbeddedRequest> {

    private static final long serialVersionUID = 1L;

    public static final String STAGE = "embed";

    private final String embeddingModel;
    private final RuntimeOptions runtime;

    private transient SharedModels.Lease<EmbeddingModel> model;

    public QuestionEmbedder(String embeddingModel, RuntimeOptions runtime) {
        this.embeddingModel = embeddingModel;
        this.runtime = runtime;
    }

    @Override
    public void open(RuntimeContext context) {
        model = EmbeddingModels.shared(embeddingModel, runtime);
    }

    @Override
    public List<EmbeddedRequest> apply(List<ChatRequest> batch) {
        long start = System.nanoTime();
        List<float[]> vectors = model.get().embed(batch.stream().map(ChatRequest::message).toList());
        long micros = (System.nanoTime() - start) / 1000;
        String modelId = model.get().card().qualifiedId();
        List<EmbeddedRequest> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            out.add(new EmbeddedRequest(batch.get(i), modelId, vectors.get(i), micros));
        }
        return out;
    }

    /** The rejection of a question the model failed on (see {@code MicroBatchOperator}). */
    public static Rejection reject(ChatRequest request, String description) {
        return Rejection.of(STAGE, RejectReason.STAGE_FAILED, description, request);
    }

    @Override
    public void close() {
        if (model != null) {
            model.close();
        }
    }
}
