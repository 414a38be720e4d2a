package io.sluice.operators.flink;

import io.sluice.schemas.AnsweredTurn;

import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.api.operators.legacy.YieldingOperatorFactory;

/**
 * Creates the {@link AuditWriterOperator} with the task's mailbox executor, through which the
 * writer thread's results come back to the task thread.
 */
public final class AuditWriterOperatorFactory extends AbstractStreamOperatorFactory<Void>
        implements OneInputStreamOperatorFactory<AnsweredTurn, Void>, YieldingOperatorFactory<Void> {

    private static final long serialVersionUID = 1L;

    private final AuditWriterOperator.Settings settings;

    public AuditWriterOperatorFactory(AuditWriterOperator.Settings settings) {
        this.settings = settings;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<Void>> T createStreamOperator(StreamOperatorParameters<Void> parameters) {
        return (T) new AuditWriterOperator(parameters, settings, getMailboxExecutor());
    }

    @Override
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return AuditWriterOperator.class;
    }
}
