package io.sluice.operators.flink;

import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.RetrievedRequest;

import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.operators.legacy.YieldingOperatorFactory;

/**
 * Creates the {@link ConversationOperator} with the task's mailbox executor, through which model
 * results come back to the task thread (Flink hands it to factories, not to operators).
 */
public final class ConversationOperatorFactory extends AbstractStreamOperatorFactory<ResponseEvent>
        implements OneInputStreamOperatorFactory<RetrievedRequest, ResponseEvent>,
                YieldingOperatorFactory<ResponseEvent> {

    private static final long serialVersionUID = 1L;

    private final ConversationOperator.Settings settings;

    public ConversationOperatorFactory(ConversationOperator.Settings settings) {
        this.settings = settings;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<ResponseEvent>> T createStreamOperator(
            StreamOperatorParameters<ResponseEvent> parameters) {
        return (T) new ConversationOperator(parameters, settings, getMailboxExecutor());
    }

    @Override
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return ConversationOperator.class;
    }
}
