package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.fuzz.FuzzCorpus;
import io.sluice.local.fuzz.FuzzReport;
import io.sluice.local.fuzz.FuzzRequests;
import io.sluice.local.fuzz.FuzzRun;
import io.sluice.cli.FuzzServing;
import io.sluice.local.LocalStack;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.Faults;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.model.chat.OpenAiStandInServer;
import io.sluice.operators.audit.AuditStore;
import io.sluice.operators.audit.AuditVerifier;
import io.sluice.schemas.json.ResponseJson;

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
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fuzz gauntlet through the real serving job (Kafka, PostgreSQL, MiniCluster with RocksDB, two
 * tenants sharing conversation ids, a remote model): a seeded mix of valid and adversarial records.
 * Every record gets exactly one outcome of the kind its case allows, the job never restarts, the
 * audit trail holds exactly the answered turns with every chain intact, and no turn saw another
 * tenant's text. The seed is printed; rerun one with {@code -Dsluice.fuzz.seed=S}, and set the size
 * with {@code -Dsluice.fuzz.requests=N} ({@code ./sluice bench fuzz} runs larger ones).
 */
class ServingFuzzITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(TestClusters.restarting(20, "200 ms")).build());

    @TempDir
    Path work;


    @Test
    void everyRecordGetsOneOutcomeAndNothingStopsTheJob(@InjectMiniCluster MiniCluster cluster) throws Exception {
        long seed = Long.getLong("sluice.fuzz.seed", ThreadLocalRandom.current().nextLong());
        int requests = Integer.getInteger("sluice.fuzz.requests", 2_000);
        System.out.println("Fuzz seed " + seed + " (rerun with -Dsluice.fuzz.seed=" + seed + "), " + requests
                + " records");
        List<FuzzRequests.FuzzCase> cases = FuzzRequests.generate(seed, requests, true, FuzzServing.MAX_MESSAGE_CHARS,
                ServingOptions.REQUESTS_MAX_BYTES.defaultValue());

        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
                OpenAiStandInServer remote = new OpenAiStandInServer()) {
            Configuration conf = FuzzServing.configuration(stack, work, remote.baseUrl());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(1000);
            env.setParallelism(2);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("serving-fuzz-itcase");
            try (Connection db = stack.openAuditConnection()) {
                FuzzRun.Result result = FuzzRun.run(stack.bootstrapServers(), conf.get(ServingOptions.REQUESTS_TOPIC),
                        conf.get(ServingOptions.RESPONSES_TOPIC), conf.get(ServingOptions.REJECTED_TOPIC), cases,
                        Duration.ofMinutes(8), System.out::println);
                FuzzReport report = FuzzReport.check(result);
                System.out.println(report.table(seed));

                assertThat(report.violations()).as("seed %d", seed).isEmpty();
                assertThat(Faults.restarted(cluster, job)).as("the job restarted (seed %d)", seed).isFalse();

                // The audit trail holds exactly the answered turns: one row per answer, none more.
                Await.until("an audit row for every answer", Duration.ofMinutes(2),
                        () -> AuditStore.count(db, null) >= report.answered());
                Map<FuzzRequests.TurnKey, Integer> audited = new HashMap<>();
                try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT tenant_id, "
                        + "conversation_id, request_id, count(*) FROM audit_turns GROUP BY 1, 2, 3")) {
                    while (rs.next()) {
                        audited.put(FuzzRequests.TurnKey.of(rs.getString(1), rs.getString(2), rs.getString(3)),
                                rs.getInt(4));
                    }
                }
                assertThat(audited).as("audit rows per turn (seed %d)", seed).isEqualTo(result.answers());
                AuditVerifier.Report chains = AuditVerifier.verify(db, rows -> {});
                assertThat(chains.intact()).as("chains: %s %s (seed %d)", chains.breaks(), chains.notices(), seed)
                        .isTrue();

                // No turn saw another tenant's text: not in what it retrieved, not in what a model was asked.
                try (Statement st = db.createStatement();
                        ResultSet rs = st.executeQuery("SELECT tenant_id, retrieved::text FROM audit_turns")) {
                    while (rs.next()) {
                        String tenant = rs.getString(1);
                        ResponseJson.parse(rs.getString(2)).forEach(c -> assertThat(c.path("chunkId").asText())
                                .as("a chunk retrieved for %s (seed %d)", tenant, seed).startsWith(tenant + "-doc-"));
                    }
                }
                Pattern mark = Pattern.compile(FuzzCorpus.mark("(\\w+?)") + "\\b");
                assertThat(remote.requests).isNotEmpty();
                for (var request : remote.requests) {
                    String prompt = request.path("messages").get(1).path("content").asText();
                    Set<String> tenants = new TreeSet<>();
                    Matcher m = mark.matcher(prompt);
                    while (m.find()) {
                        tenants.add(m.group(1));
                    }
                    assertThat(tenants).as("tenants whose text is in one prompt (seed %d)", seed).hasSizeLessThan(2);
                }
            } finally {
                job.cancel().get();
            }
        }
    }
}
