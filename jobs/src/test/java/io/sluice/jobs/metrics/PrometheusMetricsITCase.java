package io.sluice.jobs.metrics;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.MonitoringFiles;
import io.sluice.jobs.testing.Promtool;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serving job's metrics as Prometheus scrapes them: Flink's Prometheus reporter, configured as
 * {@code flink-conf/config.yaml} configures it, on the local MiniCluster running the job; the exposition is
 * checked by {@code promtool check metrics} (Debian's {@code prometheus} package).
 */
class PrometheusMetricsITCase {

    private static final int PORT = freePort();

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path work;

    private static LocalStack stack;
    private static OpenAiStandInServer model;
    private static JobClient job;
    private static String scraped;

    /** {@code conf} with the reporter of {@code flink-conf/config.yaml} on a free port. */
    private static Configuration reporting(Configuration conf) {
        conf.addAll(TestClusters.rocksDb());
        conf.setString("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        conf.setString("metrics.reporter.prom.port", Integer.toString(PORT));
        return conf;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @BeforeAll
    static void serveAndScrape() throws Exception {
        stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
        model = new OpenAiStandInServer();
        TestCorpus.backfill(work);
        Configuration conf = stack.servingConfig(work.resolve("index"));
        // A generative model (tokens, a breaker) and a token budget (its use), as the dashboard shows them.
        Path tenants = Files.writeString(work.resolve("tenants.json"), "{\"tenants\":[{\"id\":\"" + TestCorpus.ACME
                + "\",\"answerModel\":\"remote\",\"tokenBudget\":{\"tokensPerDay\":1000000}}]}");
        conf.set(ServingOptions.TENANTS_FILE, tenants.toString());
        conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, model.baseUrl());
        conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "gate");
        // A local MiniCluster of the job's own, started with the reporter (a cluster-level setting).
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(reporting(conf));
        env.enableCheckpointing(500);
        env.setParallelism(2);
        ServingJob.fromConfiguration(conf).build(env);
        job = env.executeAsync("prometheus-metrics-itcase");
        try (ChatClient chat = stack.client(false, false)) {
            chat.send("m1", TestCorpus.ACME, "conv-m", "How many days do I have to request a refund?");
            assertThat(chat.await("m1", WAIT).rejected()).as("rejection of m1").isFalse();
            chat.sendRaw("bad1", "{\"requestId\":\"bad1\",\"tenantId\":\"" + TestCorpus.ACME
                    + "\",\"conversationId\":\"conv-b\",\"message\":\"hi\",\"parameters\":{\"topK\":0}}");
            assertThat(chat.await("bad1", WAIT).rejected()).as("rejection of bad1").isTrue();
        }
        HttpClient http = HttpClient.newHttpClient();
        String[] last = {""};
        // The reporter reads counters when scraped; the operators' counts reach it at once.
        try {
            Await.until("the answered turn and the rejection in /metrics", WAIT, () -> {
                last[0] = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + PORT + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                return value(last[0], "flink_taskmanager_job_task_operator_sluice_conversation_passed") >= 1
                        && value(last[0], "flink_taskmanager_job_task_operator_sluice_validate_rejected_reason_turns")
                                >= 1;
            });
        } finally {
            // What Prometheus would see, kept for a look after the run.
            Files.writeString(Path.of("target", "prometheus-scrape.txt"), last[0]);
        }
        scraped = last[0];
    }

    /** The sum of every sample of {@code name} (all label sets), or -1 when there is none. */
    private static double value(String exposition, String name) {
        double sum = -1;
        for (String line : exposition.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                sum = Math.max(sum, 0) + Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    @AfterAll
    static void stop() throws Exception {
        if (job != null) {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
        if (model != null) {
            model.close();
        }
    }

    @Test
    void everyStageReportsItsCountsLatenciesAndGauges() {
        for (String stage : List.of("validate", "admission", "retrieve", "conversation")) {
            assertThat(value(scraped, "flink_taskmanager_job_task_operator_sluice_" + stage + "_passed"))
                    .as("%s passed", stage).isGreaterThanOrEqualTo(1);
        }
        assertThat(value(scraped, "flink_taskmanager_job_task_operator_sluice_embed_batches")).isGreaterThanOrEqualTo(1);
        assertThat(scraped).contains("flink_taskmanager_job_task_operator_sluice_conversation_latency_micros{")
                .contains("quantile=\"0.99\"")
                .contains("flink_taskmanager_job_task_operator_sluice_conversation_in_flight{")
                .contains("job_name=\"prometheus_metrics_itcase\""); // label values as the reporter filters them
    }

    @Test
    void rejectionsTokensCostBudgetsAndBreakersCarryTheirLabels() {
        assertThat(scraped).containsPattern("flink_taskmanager_job_task_operator_sluice_validate_rejected_reason_turns"
                + "\\{[^}]*reason=\"invalid_field\"");
        // The stand-in reports tokens for every answer; the labels name the tenant and the model.
        assertThat(value(scraped, "flink_taskmanager_job_task_operator_sluice_conversation_usage_tenant_model_prompt_tokens"))
                .isGreaterThan(0);
        assertThat(value(scraped, "flink_taskmanager_job_task_operator_sluice_conversation_usage_tenant_model_completion_tokens"))
                .isGreaterThan(0);
        assertThat(scraped).containsPattern("flink_taskmanager_job_task_operator_sluice_conversation_usage_tenant_model"
                + "_answered_turns\\{(?=[^}]*tenant=\"" + TestCorpus.ACME + "\")(?=[^}]*model=\"remote\")[^}]*\\} 1\\.0");
        // A turn reserved part of the day's budget: more than nothing, less than all of it.
        assertThat(value(scraped, "flink_taskmanager_job_task_operator_sluice_admission_budget_tenant_used_ratio"))
                .isGreaterThan(0).isLessThan(1);
        assertThat(scraped).containsPattern("flink_taskmanager_job_task_operator_sluice_conversation_breaker_state"
                + "\\{[^}]*breaker=\"remote\"[^}]*\\} 0\\.0"); // closed
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsExported() {
        assertThat(MonitoringFiles.referenced("flink_")).as("what monitoring/ queries of the job").isNotEmpty();
        assertThat(MonitoringFiles.unanswered(scraped, "flink_"))
                .as("names and patterns in monitoring/ that no metric of the running job answers").isEmpty();
    }

    @Test
    void theExpositionPassesPromtool() throws Exception {
        Promtool.Check check = Promtool.checkMetrics(scraped);
        assertThat(check.parsed()).as("promtool check metrics:%n%s", check.output()).isTrue();
        // Lint findings may name Flink's own metrics (camelCase, Kafka's *_total gauges), never Sluice's.
        assertThat(check.output().lines().filter(l -> l.contains("_sluice_")).toList())
                .as("findings about Sluice's metrics").isEmpty();
    }
}
