package io.sluice.operators.flink;

import io.sluice.operators.admission.Admission;
import io.sluice.operators.admission.Settlements;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.Settlement;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.util.Collector;

import java.util.Optional;

/**
 * Settlements for the admission stage from how admitted requests ended: answered turns
 * ({@link #ofAnswers}) or rejections of the stages after admission ({@link #ofRejections}). A thin
 * adapter over {@link Settlements}.
 */
public abstract class SettleFunction<T> extends RichFlatMapFunction<T, Settlement> {

    private static final long serialVersionUID = 1L;

    private final TenantRegistry tenants;
    private final AnswerModels answerModels;
    private final boolean liveLimits;
    private transient Settlements settlements;

    private SettleFunction(TenantRegistry tenants, AnswerModels answerModels, boolean liveLimits) {
        this.tenants = tenants;
        this.answerModels = answerModels;
        this.liveLimits = liveLimits;
    }

    /**
     * Settlements of answered turns.
     *
     * @param liveLimits as the admission stage's: whether any tenant may gain a budget while the job runs
     */
    public static SettleFunction<AnsweredTurn> ofAnswers(TenantRegistry tenants, AnswerModels answerModels,
            boolean liveLimits) {
        return new SettleFunction<>(tenants, answerModels, liveLimits) {
            private static final long serialVersionUID = 1L;

            @Override
            Optional<Settlement> settle(Settlements s, AnsweredTurn turn) {
                return s.of(turn);
            }
        };
    }

    /** Settlements of requests refused after admission. */
    public static SettleFunction<Rejection> ofRejections(TenantRegistry tenants, AnswerModels answerModels,
            boolean liveLimits) {
        return new SettleFunction<>(tenants, answerModels, liveLimits) {
            private static final long serialVersionUID = 1L;

            @Override
            Optional<Settlement> settle(Settlements s, Rejection rejection) {
                return s.of(rejection);
            }
        };
    }

    abstract Optional<Settlement> settle(Settlements s, T value);

    @Override
    public void open(OpenContext context) {
        settlements = new Settlements(new Admission(tenants, answerModels, true, liveLimits));
    }

    @Override
    public void flatMap(T value, Collector<Settlement> out) {
        settle(settlements, value).ifPresent(out::collect);
    }
}
