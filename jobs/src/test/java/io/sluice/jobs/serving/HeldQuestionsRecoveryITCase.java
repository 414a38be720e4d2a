package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.Faults;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.operators.audit.AuditVerifier;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The questions {@code embed} holds when a checkpoint is taken are in that checkpoint: after a
 * TaskManager is lost, the job restored from it answers them, though the source's position in the
 * checkpoint is past them, each exactly once with one audit row. The model is kept waiting (a linger
 * far longer than the test) so that the questions are held, not answered, when the checkpoint
 * completes: a stage that drained at the barrier would answer them before it, and one that kept
 * nothing would never answer them.
 */
class HeldQuestionsRecoveryITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(2)
                    .setNumberSlotsPerTaskManager(1)
                    .setConfiguration(FailureRecoveryTestBase.clusterConfig())
                    .build());

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int QUESTIONS = 6;

    @TempDir
    Path work;

    @Test
    void questionsEmbedHeldAtACheckpointAreAnsweredOnceAfterARestore(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        List<String> ids = IntStream.range(0, QUESTIONS).mapToObj(i -> "held-" + i).toList();
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2)) {
            TestCorpus.backfill(work);
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.RESPONSES_DELIVERY, ServingOptions.Delivery.EXACTLY_ONCE);
            conf.set(ServingOptions.EMBEDDING_MAX_WAIT, Duration.ofMinutes(30));
            conf.set(ServingOptions.EMBEDDING_MAX_BATCH_SIZE, 2 * QUESTIONS);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(500);
            env.setParallelism(2);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("held-questions-itcase");
            try (ChatClient reader = stack.client(true, true);
                    ChatClient observer = stack.client(false, true);
                    Connection db = stack.openAuditConnection();
                    Admin kafka = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                            stack.bootstrapServers()))) {
                for (int i = 0; i < QUESTIONS; i++) {
                    reader.send(ids.get(i), TestCorpus.ACME, "held-conv-" + i, "How long does standard shipping take?");
                }
                // The source commits its position to Kafka when a checkpoint completes: once that is
                // past every question, a completed checkpoint has them all downstream of the source.
                String topic = conf.get(ServingOptions.REQUESTS_TOPIC);
                String group = conf.get(ServingOptions.KAFKA_GROUP_ID);
                Await.until("a completed checkpoint past every question", WAIT,
                        () -> committedToEnd(kafka, topic, group, QUESTIONS));
                // The observer reads uncommitted records: an answer written before the barrier shows.
                assertThat(ids).as("questions answered before the restore (the linger should hold them)")
                        .allMatch(id -> observer.responses(id).isEmpty());

                cluster.terminateTaskManager(0).get();
                cluster.startTaskManager();
                Await.until("the job to restart", WAIT, () -> Faults.restarted(cluster, job));

                Await.until("a committed response to every held question", WAIT,
                        () -> ids.stream().allMatch(id -> !reader.responses(id).isEmpty()));
                Await.until("an audit row for every held question", WAIT,
                        () -> AuditRows.read(db).keySet().containsAll(ids));
                for (String id : ids) {
                    assertThat(reader.responses(id)).as("committed responses of %s", id).hasSize(1);
                }
                assertThat(AuditRows.count(db)).as("audit rows, duplicates included").isEqualTo(QUESTIONS);
                AuditVerifier.Report chains = AuditVerifier.verify(db, read -> {});
                assertThat(chains.breaks()).isEmpty();
                assertThat(chains.conversations()).isEqualTo(QUESTIONS);
            } finally {
                job.cancel().get();
            }
        }
    }

    /** Whether {@code group} has committed the end of every partition of {@code topic}, which holds {@code records}. */
    private static boolean committedToEnd(Admin kafka, String topic, String group, int records) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
                kafka.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        List<TopicPartition> partitions = kafka.describeTopics(List.of(topic)).allTopicNames().get().get(topic)
                .partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        Map<TopicPartition, Long> ends = kafka.listOffsets(partitions.stream()
                .collect(Collectors.toMap(Function.identity(), p -> OffsetSpec.latest()))).all().get()
                .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        long sent = ends.values().stream().mapToLong(Long::longValue).sum();
        return sent == records && partitions.stream().allMatch(p -> committed.containsKey(p)
                && committed.get(p).offset() == ends.get(p));
    }
}
