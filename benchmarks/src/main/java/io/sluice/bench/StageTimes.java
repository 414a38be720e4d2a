package io.sluice.bench;

import io.sluice.operators.admission.Admission;
import io.sluice.operators.batch.QuestionEmbedder;
import io.sluice.operators.flink.ConversationOperator;
import io.sluice.operators.flink.RetrieveFunction;
import io.sluice.operators.validate.RequestValidator;

import java.util.Arrays;

/**
 * When one request entered and left each stage of the serving job that traces it, from the stages'
 * spans, and when its embedding call returned (the embed span's {@link QuestionEmbedder#CALL_ENDED}
 * event): epoch microseconds, 0 for what was not seen.
 */
record StageTimes(long[] startMicros, long[] endMicros, long embedCallEndedMicros) {

    /** The stages a request passes in order, by their span names. */
    enum Stage {
        VALIDATE(RequestValidator.STAGE),
        ADMISSION(Admission.STAGE),
        EMBED(QuestionEmbedder.STAGE),
        RETRIEVE(RetrieveFunction.STAGE),
        CONVERSATION(ConversationOperator.STAGE);

        final String spanName;

        Stage(String spanName) {
            this.spanName = spanName;
        }

        /** The stage whose span is named {@code spanName}, or null (the audit span, a model call). */
        static Stage named(String spanName) {
            for (Stage s : values()) {
                if (s.spanName.equals(spanName)) {
                    return s;
                }
            }
            return null;
        }
    }

    long start(Stage stage) {
        return startMicros[stage.ordinal()];
    }

    long end(Stage stage) {
        return endMicros[stage.ordinal()];
    }

    /** Whether every stage's span was seen. */
    boolean complete() {
        return Arrays.stream(startMicros).allMatch(t -> t > 0) && Arrays.stream(endMicros).allMatch(t -> t > 0);
    }

    /** Collects a request's spans as they are exported, in any order. */
    static final class Builder {
        private final long[] start = new long[Stage.values().length];
        private final long[] end = new long[Stage.values().length];
        private long embedCallEnded;

        synchronized Builder set(Stage stage, long startMicros, long endMicros) {
            if (start[stage.ordinal()] == 0) { // a stage run again after a recovery: its first run counts
                start[stage.ordinal()] = startMicros;
                end[stage.ordinal()] = endMicros;
            }
            return this;
        }

        synchronized Builder embedCallEnded(long micros) {
            if (embedCallEnded == 0) {
                embedCallEnded = micros;
            }
            return this;
        }

        synchronized StageTimes build() {
            return new StageTimes(start.clone(), end.clone(), embedCallEnded);
        }
    }
}
