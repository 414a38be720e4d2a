package io.sluice.jobs.audit;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.local.ChatClient;
import io.sluice.jobs.local.LocalStack;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.operators.audit.AuditMigrations;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.operators.flink.AuditWriterOperator;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL becomes unavailable to the audit writer while the job serves: answers keep flowing,
 * audit rows wait in Flink state, and once the database is back every row is written exactly once,
 * with the hash chains intact. The writer runs as an INSERT/SELECT-only role with the schema
 * migrated beforehand by its owner, as in production.
 */
class AuditOutageITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path work;

    @Test
    void servesThroughAnOutageAndWritesTheBacklogOnceItIsOver(@InjectMiniCluster MiniCluster cluster) throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 1);
                Connection owner = stack.openAuditConnection();
                Statement admin = owner.createStatement()) {
            AuditMigrations.migrate(owner);
            admin.execute("CREATE ROLE outage_writer LOGIN IN ROLE sluice_audit_writer");
            Path index = work.resolve("index");
            TestCorpus.backfill(work);

            Configuration conf = stack.servingConfig(index);
            conf.set(ServingOptions.TENANT_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.AUDIT_USER, "outage_writer");
            conf.set(ServingOptions.AUDIT_SCHEMA, AuditWriterOperator.SchemaMode.VALIDATE);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(300);
            env.setParallelism(1);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("audit-outage-itcase");
            try (ChatClient chat = stack.client(false, true)) {
                chat.send("o-1", TestCorpus.ACME, "conv-o", "How many days do I have to request a refund?");
                Await.until("the first audit row", WAIT, () -> AuditRows.read(owner).containsKey("o-1"));

                admin.execute("ALTER ROLE outage_writer NOLOGIN");
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'outage_writer'");
                List<String> during = List.of("o-2", "o-3", "p-1");
                chat.send("o-2", TestCorpus.ACME, "conv-o", "How long does express shipping take?");
                chat.send("o-3", TestCorpus.ACME, "conv-o", "Does the warranty cover water damage?");
                chat.send("p-1", TestCorpus.ACME, "conv-p", "How are refunds paid back?");
                for (String id : during) {
                    assertThat(chat.await(id, WAIT).rejected()).isFalse();
                }
                Thread.sleep(2000); // several checkpoints complete while the database refuses the writer
                assertThat(AuditRows.read(owner).keySet()).doesNotContainAnyElementsOf(during);
                assertThat(job.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);

                admin.execute("ALTER ROLE outage_writer LOGIN");
                Await.until("the backlog to be written", WAIT,
                        () -> AuditRows.read(owner).keySet().containsAll(during));
                assertThat(AuditRows.count(owner)).isEqualTo(4);
                assertThat(AuditRows.read(owner).get("o-3").historyTurns()).isEqualTo(2);
                AuditVerifier.Report chains = AuditVerifier.verify(owner, rows -> {});
                assertThat(chains.breaks()).isEmpty();
                assertThat(chains.rows()).isEqualTo(4);
                // Served throughout: no restart.
                assertThat(cluster.getExecutionGraph(job.getJobID()).get().getStatusTimestamp(JobStatus.RESTARTING))
                        .isZero();
            } finally {
                job.cancel().get();
            }
        }
    }
}
