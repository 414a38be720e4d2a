package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.operators.answer.ExtractiveAnswerer;
import io.sluice.operators.context.ContextCompiler;
import io.sluice.operators.conversation.TurnProcessor;
import io.sluice.operators.retrieve.IndexFields;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.time.Duration;

/**
 * The {@code conversation} stage, keyed by conversationId: compiles each turn's context from the
 * conversation's recent turns, answers it, and appends the turn to the history in keyed state.
 * Turns of one conversation arrive in order (same partition, same key), so each sees every turn
 * before it. A requestId already in the history is rejected as a duplicate instead of answered
 * twice.
 *
 * <p>History expires by event time: a request that arrives more than {@code historyTtl} after the
 * conversation's last turn (in Kafka record time) starts with an empty history, whenever and however
 * often it is processed. Flink's state TTL, set to the same duration, only frees storage of idle
 * conversations; it is processing-time based, so replay runs with it off.
 */
public final class ConversationFunction
        extends KeyedProcessFunction<String, RetrievedRequest, AnsweredTurn> {

    private static final long serialVersionUID = 1L;

    public static final OutputTag<Rejection> DUPLICATES =
            new OutputTag<>("duplicates", Rejection.TYPE);

    static final String HISTORY_STATE = "history";

    private final int maxTurns;
    private final Duration historyTtl;
    private final String embeddingModel;

    private transient ValueState<ConversationHistory> history;
    private transient HfTokenizer tokenizer;
    private transient TurnProcessor processor;
    private transient StageMetrics metrics;

    /**
     * @param maxTurns how many recent turns the history keeps
     * @param historyTtl how long an idle conversation's history is kept; zero keeps it forever
     * @param embeddingModel the model whose tokenizer counts context tokens
     */
    public ConversationFunction(int maxTurns, Duration historyTtl, String embeddingModel) {
        this.maxTurns = maxTurns;
        this.historyTtl = historyTtl;
        this.embeddingModel = embeddingModel;
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<ConversationHistory> descriptor =
                new ValueStateDescriptor<>(HISTORY_STATE, ConversationHistory.TYPE);
        if (!historyTtl.isZero()) {
            descriptor.enableTimeToLive(StateTtlConfig.newBuilder(historyTtl)
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build());
        }
        history = getRuntimeContext().getState(descriptor);
        tokenizer = EmbeddingModels.tokenizer(embeddingModel);
        processor = new TurnProcessor(new ContextCompiler(tokenizer),
                new ExtractiveAnswerer(IndexFields.analyzer(), 3, 0.3));
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "conversation");
    }

    @Override
    public void processElement(RetrievedRequest retrieved, Context ctx, Collector<AnsweredTurn> out)
            throws Exception {
        ChatRequest request = retrieved.request();
        ConversationHistory current = history.value();
        if (current == null || (!historyTtl.isZero() && current.idleLongerThan(historyTtl, request.eventTime()))) {
            current = ConversationHistory.EMPTY;
        }
        if (current.answered(request.requestId())) {
            metrics.rejected(RejectReason.DUPLICATE_REQUEST);
            ctx.output(DUPLICATES, new Rejection(RejectReason.DUPLICATE_REQUEST,
                    "request '" + request.requestId() + "' was already answered in this conversation",
                    request.requestId(), request.tenantId(), request.conversationId(),
                    request.message(), request.partition(), request.offset(), request.eventTime()));
            return;
        }
        long start = System.nanoTime();
        AnsweredTurn turn = processor.process(retrieved, current);
        history.update(current.append(processor.historyTurn(turn), maxTurns));
        metrics.latency((System.nanoTime() - start) / 1000);
        metrics.passed();
        out.collect(turn);
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
