package io.sluice.bench;

import io.sluice.bench.StageTimes.Stage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Where a request's time went, stage by stage, from when the load generator sent it to when it
 * read the answer: the stages' own spans, the gaps between them (Kafka, the shuffles, a task's
 * input queue), and the embed stage split into the wait for its model call, the call itself, and the
 * wait to be handed on after it. The parts add up
 * to the end-to-end latency, and all but the model call to the pipeline overhead. Set side by side
 * for the median request and for the slowest 1 % by overhead, they say which part makes the tail.
 */
final class StageBreakdown {

    /** The parts of a request's latency, in the order it passes them. */
    enum Part {
        TO_VALIDATE("Kafka to validate (producer, broker, source)"),
        VALIDATE("validate"),
        TO_ADMISSION("validate to admission (keyBy tenant)"),
        ADMISSION("admission"),
        TO_EMBED("admission to embed (keyBy conversation)"),
        EMBED_WAIT("embed: waiting for its model call"),
        EMBED_CALL("embed: model call"),
        EMBED_HAND_ON("embed: from the call's end to handing it on (the task's mailbox, earlier batches)"),
        TO_RETRIEVE("embed to retrieve (the hop, and the wait behind earlier requests)"),
        RETRIEVE("retrieve"),
        TO_CONVERSATION("retrieve to conversation"),
        CONVERSATION("conversation (history, compile, answer)"),
        TO_CLIENT("conversation to the client (sink, broker, consumer)");

        final String label;

        Part(String label) {
            this.label = label;
        }
    }

    /** One answered request: when it was sent and read back (epoch µs), its model call, its stages. */
    record Request(long sentMicros, long receivedMicros, long embedCallMicros, StageTimes stages) {
        /** Milliseconds in each {@link Part}; they sum to the end-to-end latency. */
        double[] parts() {
            long[] us = new long[Part.values().length];
            us[Part.TO_VALIDATE.ordinal()] = stages.start(Stage.VALIDATE) - sentMicros;
            us[Part.VALIDATE.ordinal()] = stages.end(Stage.VALIDATE) - stages.start(Stage.VALIDATE);
            us[Part.TO_ADMISSION.ordinal()] = stages.start(Stage.ADMISSION) - stages.end(Stage.VALIDATE);
            us[Part.ADMISSION.ordinal()] = stages.end(Stage.ADMISSION) - stages.start(Stage.ADMISSION);
            us[Part.TO_EMBED.ordinal()] = stages.start(Stage.EMBED) - stages.end(Stage.ADMISSION);
            long call = callMicros();
            // The call's end is the model thread's clock, the call's length the answer's: clamped so
            // that no part goes below zero. A span without it counts all its waiting before the call.
            long callEnded = stages.embedCallEndedMicros() == 0 ? stages.end(Stage.EMBED)
                    : Math.min(Math.max(stages.embedCallEndedMicros(), stages.start(Stage.EMBED) + call),
                            stages.end(Stage.EMBED));
            us[Part.EMBED_WAIT.ordinal()] = callEnded - stages.start(Stage.EMBED) - call;
            us[Part.EMBED_CALL.ordinal()] = call;
            us[Part.EMBED_HAND_ON.ordinal()] = stages.end(Stage.EMBED) - callEnded;
            us[Part.TO_RETRIEVE.ordinal()] = stages.start(Stage.RETRIEVE) - stages.end(Stage.EMBED);
            us[Part.RETRIEVE.ordinal()] = stages.end(Stage.RETRIEVE) - stages.start(Stage.RETRIEVE);
            us[Part.TO_CONVERSATION.ordinal()] = stages.start(Stage.CONVERSATION) - stages.end(Stage.RETRIEVE);
            us[Part.CONVERSATION.ordinal()] = stages.end(Stage.CONVERSATION) - stages.start(Stage.CONVERSATION);
            us[Part.TO_CLIENT.ordinal()] = receivedMicros - stages.end(Stage.CONVERSATION);
            return Arrays.stream(us).mapToDouble(u -> u / 1000.0).toArray();
        }

        double overheadMillis() {
            return (receivedMicros - sentMicros - callMicros()) / 1000.0;
        }

        /**
         * The model call inside the embed span: the span covers the question's wait and its batch's
         * call, and the answer says how long the call took, on another clock, so never longer than the span.
         */
        private long callMicros() {
            return Math.min(embedCallMicros, stages.end(Stage.EMBED) - stages.start(Stage.EMBED));
        }
    }

    /**
     * The breakdown of one rate: per part, the median over every request with all its spans, and the
     * mean over the slowest 1 % of them by overhead (those at or above its p99); {@code untraced}
     * answered requests had a span missing and are left out.
     */
    record Summary(int traced, int untraced, double overheadP99, int tailCount, double[] medians, double[] p99s,
            double[] tailMeans, double kafkaP99) {
        /** A Markdown table, a row per part, and the p99 of Kafka's two legs. */
        String table() {
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                    "| part | median, ms | p99, ms | slowest 1 %% by overhead (%d requests at or above %.1f ms), "
                            + "mean ms | share of their overhead |%n|---|---:|---:|---:|---:|%n", tailCount,
                    overheadP99));
            double tailOverhead = 0;
            for (Part p : Part.values()) {
                if (p != Part.EMBED_CALL) {
                    tailOverhead += tailMeans[p.ordinal()];
                }
            }
            for (Part p : Part.values()) {
                double mean = tailMeans[p.ordinal()];
                String share = p == Part.EMBED_CALL ? "(model time)"
                        : String.format(Locale.ROOT, "%.0f %%", 100 * mean / tailOverhead);
                out.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %s |%n", p.label,
                        medians[p.ordinal()], p99s[p.ordinal()], mean, share));
            }
            out.append(String.format(Locale.ROOT, "%nKafka's two legs alone (to validate, and from conversation to "
                    + "the client: the path a pass-through job has), p99 %.2f ms.%n", kafkaP99));
            if (untraced > 0) {
                out.append(String.format(Locale.ROOT, "%n%d answered requests had a stage's span missing and are "
                        + "not in the table.%n", untraced));
            }
            return out.toString();
        }
    }

    private StageBreakdown() {}

    static Summary of(List<Request> answered) {
        List<Request> traced = new ArrayList<>();
        for (Request r : answered) {
            if (r.stages() != null && r.stages().complete()) {
                traced.add(r);
            }
        }
        int parts = Part.values().length;
        double[] medians = new double[parts];
        double[] p99s = new double[parts];
        double[] tailMeans = new double[parts];
        if (traced.isEmpty()) {
            Arrays.fill(medians, Double.NaN);
            Arrays.fill(p99s, Double.NaN);
            Arrays.fill(tailMeans, Double.NaN);
            return new Summary(0, answered.size(), Double.NaN, 0, medians, p99s, tailMeans, Double.NaN);
        }
        List<double[]> all = traced.stream().map(Request::parts).toList();
        List<Double> overheads = traced.stream().map(Request::overheadMillis).toList();
        for (int p = 0; p < parts; p++) {
            int part = p;
            List<Double> values = all.stream().map(a -> a[part]).toList();
            medians[p] = ServingLatencyBenchmark.percentile(values, 50);
            p99s[p] = ServingLatencyBenchmark.percentile(values, 99);
        }
        double kafkaP99 = ServingLatencyBenchmark.percentile(all.stream()
                .map(a -> a[Part.TO_VALIDATE.ordinal()] + a[Part.TO_CLIENT.ordinal()]).toList(), 99);
        double p99 = ServingLatencyBenchmark.percentile(overheads, 99);
        List<double[]> tail = new ArrayList<>();
        for (int r = 0; r < traced.size(); r++) {
            if (overheads.get(r) >= p99) {
                tail.add(all.get(r));
            }
        }
        for (double[] a : tail) {
            for (int p = 0; p < parts; p++) {
                tailMeans[p] += a[p] / tail.size();
            }
        }
        return new Summary(traced.size(), answered.size() - traced.size(), p99, tail.size(), medians, p99s,
                tailMeans, kafkaP99);
    }
}
