package io.sluice.jobs.replay;

import io.sluice.jobs.config.KafkaClientProperties;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.JsonRecordSerializer;
import io.sluice.jobs.serving.RequestDeserializer;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.model.chat.OpenAiCompatibleChatModel;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.OpenAiChatModelSpec;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.RequestEnvelope;
import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.json.ResponseJson;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Replays the serving job from a savepoint: restores its conversation state, re-reads
 * {@code chat.requests} from the offsets the savepoint holds up to where the topic ends now (or
 * {@code to}), and runs the serving job's own operators again, with remote model calls answered from
 * the audit trail's journal and local models (extractive, ONNX) recomputed. Nothing is written to
 * the live topics or the live audit table; every replayed turn is compared, stage by stage, with
 * its audit row.
 */
public final class Replay {

    /**
     * What to replay. Every field but {@code savepoint} may be null. Turns from the savepoint on are
     * always re-run (they build the state later turns see); {@code from} only narrows which are
     * compared. The requests read end at the topic's end when replay starts, or at {@code to} (a
     * time) or {@code toOffsets} (partition → first offset not to read).
     */
    public record Options(Path savepoint, String conversation, String tenant, Instant from, Instant to,
            Map<Integer, Long> toOffsets, String snapshot, String forkTopic) {

        /** Everything after {@code savepoint}, compared turn by turn. */
        public static Options of(Path savepoint) {
            return new Options(savepoint, null, null, null, null, null, null, null);
        }

        public Options withConversation(String id) {
            return new Options(savepoint, id, tenant, from, to, toOffsets, snapshot, forkTopic);
        }

        public Options withSnapshot(String id) {
            return new Options(savepoint, conversation, tenant, from, to, toOffsets, id, forkTopic);
        }

        public Options withFork(String topic) {
            return new Options(savepoint, conversation, tenant, from, to, toOffsets, snapshot, topic);
        }
    }

    /**
     * What replay found, and how fast it ran: {@code wallTime} from submitting the job to its end,
     * {@code startup} until the first turn came back (restoring state, loading models), and the span
     * of event time the replayed turns had covered live.
     */
    public record Result(ReplayReport report, long turns, Duration wallTime, Duration startup, Duration liveSpan) {
        public double turnsPerSecond() {
            return turns / Math.max(1e-3, wallTime.toNanos() / 1e9);
        }

        /** Turns per second once the first turn was out: the rate replay sustains. */
        public double steadyTurnsPerSecond() {
            Duration steady = wallTime.minus(startup);
            return turns < 2 ? Double.NaN : (turns - 1) / Math.max(1e-3, steady.toNanos() / 1e9);
        }

        /** How much faster than the live turns arrived; NaN when the live span is too short to tell. */
        public double speedup() {
            return liveSpan.toMillis() < 1000 ? Double.NaN : liveSpan.toNanos() / (double) Math.max(1, wallTime.toNanos());
        }
    }

    private Replay() {}

    /** Runs the replay; {@code progress} gets (replayed, expected) as turns come back. */
    public static Result run(Configuration serving, Options options, Consumer<long[]> progress) throws Exception {
        String topic = serving.get(ServingOptions.REQUESTS_TOPIC);
        Map<TopicPartition, Long> start = new HashMap<>();
        SavepointOffsets.read(options.savepoint(), ServingJob.UID_SOURCE).forEach((tp, offset) -> {
            if (tp.topic().equals(topic)) {
                start.put(tp, offset);
            }
        });
        if (start.isEmpty()) {
            throw new IllegalArgumentException("Savepoint " + options.savepoint() + " holds no position on " + topic);
        }
        Map<String, AuditedTurn> journal;
        Map<String, Integer> answeredLive;
        try (Connection c = ServingJob.auditConnection(serving).open()) {
            journal = AuditJournal.read(c, options.conversation(), options.tenant());
            answeredLive = AuditJournal.answered(c);
        }
        // Turns from --from on are compared; earlier ones only rebuild state.
        Predicate<AuditedTurn> compared = t -> options.from() == null
                || t.eventTime() >= options.from().toEpochMilli();
        Set<String> inRange = new HashSet<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (AuditedTurn t : journal.values()) {
            Long from = start.get(new TopicPartition(topic, t.partition()));
            boolean after = from == null || from < 0 || t.offset() >= from;
            boolean before = options.to() == null || t.eventTime() < options.to().toEpochMilli();
            Long end = options.toOffsets() == null ? null : options.toOffsets().get(t.partition());
            boolean beforeOffset = options.toOffsets() == null || (end != null && t.offset() < end);
            if (after && before && beforeOffset && compared.test(t)) {
                inRange.add(t.position());
                first = Math.min(first, t.eventTime());
                last = Math.max(last, t.eventTime());
            }
        }

        Configuration conf = new Configuration(serving);
        if (options.snapshot() != null) {
            conf.set(ServingOptions.INDEX_SNAPSHOT, options.snapshot());
        } else if (!ServingOptions.followsPromotions(conf)) {
            // A job that pinned its snapshot served every turn from it; one that follows promotions
            // chose per turn from the promotion log, and so does its replay.
            journal.values().stream().filter(t -> inRange.contains(t.position())).findFirst()
                    .ifPresent(t -> conf.set(ServingOptions.INDEX_SNAPSHOT, t.json().path("snapshotId").asText()));
        }
        ServingJob.Settings live = ServingJob.Settings.from(conf);
        // Remote models answer from the journal, in every version of the routing policy.
        Map<String, JournalChatModelSpec> journaled = new HashMap<>();
        AnswerModels models = live.answerModels().withSpecs(spec -> spec instanceof OpenAiChatModelSpec remote
                ? journaled.computeIfAbsent(OpenAiCompatibleChatModel.modelId(remote.backend()),
                        id -> new JournalChatModelSpec(id, journal))
                : spec);
        ServingJob.Settings settings = live.forReplay(models, AuditJournal.openBreakers(journal),
                AuditJournal.cacheHits(journal), AuditJournal.degradations(journal));

        conf.set(StateRecoveryOptions.SAVEPOINT_PATH, options.savepoint().toUri().toString());
        // A replay reads the savepoint and leaves it as it was, to be replayed again: it never
        // claims it. Without checkpoints the changelog state backend would only buffer changes, and
        // it cannot restore without claiming, so replay runs on the backend beneath it.
        conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.NO_CLAIM);
        conf.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, false);
        // The live job's source, sinks and audit writer have no counterpart here.
        conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
        conf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
        // Replay's MiniCluster runs beside a live one (sluice demo, sluice serve): its own REST port.
        conf.set(org.apache.flink.configuration.RestOptions.BIND_PORT, "0");
        conf.removeConfig(org.apache.flink.configuration.CheckpointingOptions.CHECKPOINTING_INTERVAL);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);

        Map<TopicPartition, Long> startOffsets = new HashMap<>();
        start.forEach((tp, offset) -> {
            if (offset >= 0) {
                startOffsets.put(tp, offset);
            }
        });
        var requests = KafkaSource.<RequestEnvelope>builder()
                .setBootstrapServers(conf.get(ServingOptions.KAFKA_BOOTSTRAP_SERVERS))
                .setTopics(topic)
                .setGroupId(conf.get(ServingOptions.KAFKA_GROUP_ID) + "-replay")
                .setProperty("commit.offsets.on.checkpoint", "false")
                .setStartingOffsets(OffsetsInitializer.offsets(startOffsets, OffsetResetStrategy.EARLIEST))
                .setBounded(stoppingOffsets(options, topic))
                .setDeserializer(new RequestDeserializer());
        KafkaClientProperties.from(conf).forEach(requests::setProperty);
        KafkaSource<RequestEnvelope> source = requests.build();
        String conversation = options.conversation();
        String tenant = options.tenant();
        FilterFunction<ChatRequest> select = conversation == null && tenant == null ? null
                : r -> (conversation == null || conversation.equals(r.conversationId()))
                        && (tenant == null || tenant.equals(r.tenantId()));
        ServingJob.AnswerPath path = ServingJob.answerPath(settings,
                env.fromSource(source, WatermarkStrategy.noWatermarks(), "chat.requests (replay)").uid("replay-requests"),
                // No settlements: budgets were the live run's, and its audit trail says whom they admitted.
                select, null, null, answeredLive);
        if (options.forkTopic() != null) {
            forkTo(path.events(), conf, options.forkTopic());
        }

        ReplayReport report = new ReplayReport(journal, inRange, t -> {
            Long from = start.get(new TopicPartition(topic, t.partition()));
            return from != null && t.offset() < from && compared.test(t);
        });
        long began = System.nanoTime();
        long firstTurn = 0;
        long turns = 0;
        // The savepoint's embed stage holds the requests it had read and not yet embedded: they run
        // again (the conversations' state needs them) ahead of the selection, so only the selected
        // ones are reported. They, and the turns the conversation stage was answering, precede the
        // savepoint's position but were answered after it, live as here: the report compares them.
        DataStream<AnsweredTurn> answers = select == null ? path.answers()
                : path.answers().filter(t -> select.filter(t.request())).name("selected answers");
        try (CloseableIterator<AnsweredTurn> replayed = answers.executeAndCollect("sluice-replay")) {
            while (replayed.hasNext()) {
                report.add(replayed.next());
                if (turns == 0) {
                    firstTurn = System.nanoTime();
                }
                progress.accept(new long[] {++turns, inRange.size()});
            }
        }
        long ended = System.nanoTime();
        return new Result(report, turns, Duration.ofNanos(ended - began),
                Duration.ofNanos((turns == 0 ? ended : firstTurn) - began),
                first <= last ? Duration.ofMillis(last - first) : Duration.ZERO);
    }

    private static OffsetsInitializer stoppingOffsets(Options options, String topic) {
        if (options.toOffsets() != null) {
            Map<TopicPartition, Long> end = new HashMap<>();
            options.toOffsets().forEach((partition, offset) -> end.put(new TopicPartition(topic, partition), offset));
            return OffsetsInitializer.offsets(end);
        }
        return options.to() == null ? OffsetsInitializer.latest() : OffsetsInitializer.timestamp(options.to().toEpochMilli());
    }

    private static void forkTo(DataStream<ResponseEvent> events, Configuration conf, String topic) {
        List<String> live = List.of(conf.get(ServingOptions.REQUESTS_TOPIC), conf.get(ServingOptions.RESPONSES_TOPIC),
                conf.get(ServingOptions.REJECTED_TOPIC));
        if (live.contains(topic)) {
            throw new IllegalArgumentException("--fork must name a topic of its own, not the live " + topic);
        }
        var fork = KafkaSink.<ResponseEvent>builder()
                .setBootstrapServers(conf.get(ServingOptions.KAFKA_BOOTSTRAP_SERVERS))
                .setRecordSerializer(new JsonRecordSerializer<ResponseEvent>(topic, ResponseEvent::conversationId,
                        ResponseJson::toJson))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE);
        KafkaClientProperties.from(conf).forEach(fork::setProperty);
        events.sinkTo(fork.build()).uid("replay-fork").name(topic);
    }
}
