package io.sluice.jobs.audit;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.Faults;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.operators.audit.AuditMigrations;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.operators.audit.AuditWriter;

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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL becomes unavailable to the audit writer while the job serves, twice: first it refuses
 * the writer's logins, then it hangs (every server process stopped with SIGSTOP, so connections
 * neither fail nor answer). Answers keep flowing and checkpoints keep completing throughout; audit
 * rows wait in Flink state, and once the database is back every row is written exactly once, with
 * the hash chains intact, and the job never restarted. The writer runs as an INSERT/SELECT-only role
 * with the schema migrated beforehand by its owner, as in production.
 */
class AuditOutageITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(90);
    /** How soon an answer must come while the database is away: far less than the writer's socket timeout. */
    private static final Duration PROMPT = Duration.ofSeconds(20);

    @TempDir
    Path work;

    @Test
    void servesThroughRefusedAndHungDatabasesAndWritesEveryRowOnce(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 1);
                Connection owner = stack.openAuditConnection();
                Statement admin = owner.createStatement()) {
            AuditMigrations.migrate(owner);
            admin.execute("CREATE ROLE outage_writer LOGIN IN ROLE sluice_audit_writer");
            Path index = work.resolve("index");
            TestCorpus.backfill(work);

            Configuration conf = stack.servingConfig(index);
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.AUDIT_USER, "outage_writer");
            conf.set(ServingOptions.AUDIT_SCHEMA, AuditWriter.SchemaMode.VALIDATE);
            // The default: a hung database is waited on this long by the writer's thread, never by answers.
            conf.set(ServingOptions.AUDIT_SOCKET_TIMEOUT, Duration.ofSeconds(60));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(300);
            env.setParallelism(1);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("audit-outage-itcase");
            List<String> all = new ArrayList<>();
            try (ChatClient chat = stack.client(false, true)) {
                chat.send("o-1", TestCorpus.ACME, "conv-o", "How many days do I have to request a refund?");
                all.add("o-1");
                Await.until("the first audit row", WAIT, () -> AuditRows.read(owner).containsKey("o-1"));

                // 1. The database refuses the writer.
                admin.execute("ALTER ROLE outage_writer NOLOGIN");
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'outage_writer'");
                List<String> refused = List.of("o-2", "o-3", "p-1");
                chat.send("o-2", TestCorpus.ACME, "conv-o", "How long does express shipping take?");
                chat.send("o-3", TestCorpus.ACME, "conv-o", "Does the warranty cover water damage?");
                chat.send("p-1", TestCorpus.ACME, "conv-p", "How are refunds paid back?");
                for (String id : refused) {
                    assertThat(chat.await(id, WAIT).rejected()).isFalse();
                }
                all.addAll(refused);
                long checkpoints = Faults.completedCheckpoints(cluster, job);
                Await.until("three checkpoints while the database refuses the writer", WAIT,
                        () -> Faults.completedCheckpoints(cluster, job) >= checkpoints + 3);
                assertThat(AuditRows.read(owner).keySet()).doesNotContainAnyElementsOf(refused);
                admin.execute("ALTER ROLE outage_writer LOGIN");
                Await.until("the backlog to be written", WAIT, () -> AuditRows.read(owner).keySet().containsAll(refused));

                // 2. The database hangs: its processes are stopped, connections stay open and silent.
                List<ProcessHandle> postgres = stack.embeddedPostgres().processes();
                List<String> hung = List.of("o-4", "p-2", "q-1");
                long stopped = System.nanoTime();
                Faults.signal("STOP", postgres);
                try {
                    chat.send("o-4", TestCorpus.ACME, "conv-o", "How long does standard shipping take?");
                    chat.send("p-2", TestCorpus.ACME, "conv-p", "Is opened software refunded?");
                    chat.send("q-1", TestCorpus.ACME, "conv-q", "What does the warranty cover?");
                    for (String id : hung) {
                        assertThat(chat.await(id, PROMPT).rejected()).isFalse();
                    }
                    long hungCheckpoints = Faults.completedCheckpoints(cluster, job);
                    Await.until("two checkpoints while the database hangs", PROMPT,
                            () -> Faults.completedCheckpoints(cluster, job) >= hungCheckpoints + 2);
                } finally {
                    Faults.signal("CONT", postgres);
                }
                long resumed = System.nanoTime();
                all.addAll(hung);
                Await.until("every audit row after the hang", WAIT, () -> AuditRows.read(owner).keySet().containsAll(all));
                long written = System.nanoTime();
                System.out.printf("PostgreSQL hung for %d ms with %d requests answered meanwhile; their audit rows "
                        + "were in the table %d ms after it resumed%n", (resumed - stopped) / 1_000_000, hung.size(),
                        (written - resumed) / 1_000_000);

                // Every row once (no duplicates by content or request), histories kept, chains intact.
                assertThat(AuditRows.count(owner)).isEqualTo(all.size());
                assertThat(AuditRows.read(owner).keySet()).containsExactlyInAnyOrderElementsOf(all);
                assertThat(AuditRows.read(owner).get("o-3").historyTurns()).isEqualTo(2);
                AuditVerifier.Report chains = AuditVerifier.verify(owner, rows -> {});
                assertThat(chains.breaks()).isEmpty();
                assertThat(chains.intact()).isTrue();
                assertThat(chains.rows()).isEqualTo(all.size());
                // Served throughout: no restart.
                assertThat(cluster.getExecutionGraph(job.getJobID()).get().getStatusTimestamp(JobStatus.RESTARTING))
                        .isZero();
            } finally {
                job.cancel().get();
            }
        }
    }
}
