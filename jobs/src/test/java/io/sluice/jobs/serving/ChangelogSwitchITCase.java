package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.schemas.json.ResponseJson;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The changelog state backend can be switched on and off across a savepoint without losing a
 * conversation: a deployment that ran RocksDB's own checkpoints upgrades to the changelog (the
 * shipped default) through a savepoint, and can go back the same way. Each leg answers one more turn
 * of every conversation, and every answer must have seen all the turns before it.
 */
class ChangelogSwitchITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestClusters.oneTaskManager();

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int CONVERSATIONS = 3;
    private static final String QUESTION = "How many days do I have to request a refund?";

    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @EnumSource(SavepointFormatType.class)
    void conversationsSurviveSwitchingTheChangelogOnAndOff(SavepointFormatType format) throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2)) {
            TestCorpus.backfill(work);
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            try (ChatClient chat = stack.client(false, false); Connection db = stack.openAuditConnection()) {
                String savepoint = null;
                int turn = 0;
                // Off (as before the upgrade), on (the default since), and off again.
                for (boolean changelog : new boolean[] {false, true, false}) {
                    Configuration leg = new Configuration(conf);
                    leg.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, changelog);
                    if (savepoint != null) {
                        leg.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
                        // As flink-conf/config.yaml sets it: the changelog cannot restore otherwise.
                        leg.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
                    }
                    JobClient job = TestClusters.serve(leg, "changelog-" + changelog + "-" + format);
                    try {
                        // Two turns per leg, so that each leg writes history as well as reading it.
                        for (int t = 0; t < 2; t++, turn++) {
                            askEveryConversation(chat, db, turn);
                        }
                        // A checkpoint has completed since the last turn (its audit rows are in), and
                        // with the changelog on it refers to the log's files.
                        List<Path> log = TestClusters.changelogFiles(TestClusters.CHANGELOG,
                                job.getJobID().toHexString());
                        if (changelog) {
                            assertThat(log).as("the changelog of a leg with it on").isNotEmpty();
                        } else {
                            assertThat(log).as("the changelog of a leg with it off").isEmpty();
                        }
                        savepoint = job.stopWithSavepoint(false, work.resolve("savepoints").toUri().toString(), format)
                                .get();
                    } catch (Exception | AssertionError e) {
                        job.cancel().get();
                        throw e;
                    }
                }
            }
        }
    }

    /** Turn {@code turn} of every conversation; each answer must have seen the turns before it. */
    private static void askEveryConversation(ChatClient chat, Connection db, int turn) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int c = 0; c < CONVERSATIONS; c++) {
            String id = "s-" + c + "-" + turn;
            ids.add(id);
            chat.send(id, TestCorpus.ACME, "conv-" + c, QUESTION);
        }
        for (String id : ids) {
            ChatClient.Reply reply = chat.await(id, WAIT);
            assertThat(reply.rejected()).as("rejection of %s: %s", id, reply.rejection()).isFalse();
            assertThat(ResponseJson.content(reply.response().toString()).path("historyTurns").asInt())
                    .as("history of %s", id).isEqualTo(turn);
        }
        // The audit rows commit on a checkpoint: a savepoint before them would leave them to the next leg.
        Await.until("the audit rows of turn " + turn, WAIT, () -> AuditRows.read(db).keySet().containsAll(ids));
    }
}
