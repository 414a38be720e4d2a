package io.sluice.jobs.serving;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.jobs.replay.Replay;
import io.sluice.jobs.replay.ReplayReport;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.retrieve.IndexStore;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A running serving job follows a promotion without a restart: turns up to the promotion's time are
 * answered from the old snapshot, turns after it from the new one, and a replay from a savepoint
 * taken before the promotion picks the same snapshot for every turn, so it is identical to the
 * audit trail.
 */
class PromotionITCase {

    /** Three slots: the serving job takes two, and the second backfill runs beside it. */
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String QUESTION = "What colour is the Sluice logo painted?";

    @TempDir
    Path work;

    private String backfill(String colour) throws Exception {
        Path docs = Files.createDirectories(work.resolve("docs"));
        Files.writeString(docs.resolve("logo.jsonl"), "{\"id\":\"logo\",\"tenant\":\"acme\",\"title\":\"The logo\","
                + "\"text\":\"The Sluice logo is painted " + colour + " on every page of the handbook.\"}\n");
        return new Backfill(new Backfill.Settings(docs, work.resolve("index"), "acme", ChunkerSettings.DEFAULT,
                EmbeddingModels.BUNDLED_MINILM, 8, RuntimeOptions.cpu(1), 1), new PrintWriter(new StringWriter()))
                .run().snapshotId();
    }

    @Test
    void answersChangeAtThePromotionAndAReplayAcrossItIsIdentical() throws Exception {
        String blue = backfill("blue");
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2)) {
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.setString("sluice.tenants.ids", "acme");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(300);
            env.setParallelism(2);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("promotion-itcase");
            Path savepoint;
            String green;
            long promotedFrom;
            try (ChatClient chat = stack.client(false, false); Connection db = stack.openAuditConnection()) {
                assertThat(ask(chat, "p1", "c-1")).contains("blue").endsWith("@" + blue);
                Await.until("the first audit row", WAIT, () -> AuditRows.read(db).containsKey("p1"));
                savepoint = Path.of(java.net.URI.create(job.triggerSavepoint(work.resolve("savepoints").toUri().toString(),
                        SavepointFormatType.CANONICAL).get()));
                assertThat(ask(chat, "p2", "c-2")).contains("blue").endsWith("@" + blue);

                green = backfill("green");
                List<IndexStore.Promotion> log = new IndexStore(work.resolve("index")).promotions();
                promotedFrom = log.get(log.size() - 1).effectiveFrom();
                // Sent now, its event time is before the promotion takes effect (a lead of seconds).
                assertThat(ask(chat, "p3", "c-3")).contains("blue").endsWith("@" + blue);
                Await.until("the promotion's time", WAIT, () -> System.currentTimeMillis() > promotedFrom + 100);
                assertThat(ask(chat, "p4", "c-4")).contains("green").endsWith("@" + green);
                assertThat(ask(chat, "p5", "c-1")).as("a conversation begun before it").contains("green")
                        .endsWith("@" + green);
                Await.until("the audit rows", WAIT, () -> AuditRows.read(db).keySet()
                        .containsAll(List.of("p1", "p2", "p3", "p4", "p5")));
            } finally {
                job.cancel().get();
            }
            assertThat(green).isNotEqualTo(blue);

            Replay.Result replayed = Replay.run(conf, Replay.Options.of(savepoint), p -> { });
            ReplayReport report = replayed.report();
            assertThat(report.divergences()).isEmpty();
            assertThat(report.missing()).isEmpty();
            assertThat(report.identical()).isEqualTo(4);
            assertThat(report.identicalToTheAuditTrail()).isTrue();
        }
    }

    private static String ask(ChatClient chat, String id, String conversation) throws Exception {
        chat.send(id, "acme", conversation, QUESTION, null);
        ChatClient.Reply reply = chat.await(id, WAIT);
        assertThat(reply.rejected()).as("rejection of %s: %s", id, reply.rejection()).isFalse();
        return reply.response().path("answer").asText() + " @" + reply.response().path("snapshotId").asText();
    }
}
