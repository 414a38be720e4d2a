package io.sluice.jobs.deploy;

import io.sluice.jobs.testing.MonitoringFiles;
import io.sluice.jobs.testing.Promtool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code monitoring/}: Prometheus' configuration and alert rules, checked and unit-tested by
 * {@code promtool} (Debian's {@code prometheus}; skipped, saying how to get it, when missing), and
 * the Grafana dashboard, whose every query must parse. That the metrics they name exist is checked
 * against real scrapes by {@code PrometheusMetricsITCase} (the job) and {@code GatewayITCase}.
 */
class MonitoringTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path PROMETHEUS = MonitoringFiles.DIR.resolve("prometheus");

    @Test
    void theAlertRulesAreValidAndTheirUnitTestsPass() throws Exception {
        Promtool.Check check = Promtool.run(PROMETHEUS, null, "check", "rules", "alerts.yml");
        assertThat(check.exitCode()).as("promtool check rules:%n%s", check.output()).isZero();
        Promtool.Check test = Promtool.run(PROMETHEUS, null, "test", "rules", "alerts-test.yml");
        assertThat(test.exitCode()).as("promtool test rules:%n%s", test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasATestThatFiresItAndOneThatKeepsItSilent() throws IOException {
        Set<String> alerts = new TreeSet<>();
        YAML.readTree(MonitoringFiles.ALERTS.toFile()).path("groups").forEach(g -> g.path("rules").forEach(r -> {
            if (r.has("alert")) {
                alerts.add(r.path("alert").asText());
            }
        }));
        assertThat(alerts).contains("SluiceAvailabilityBudgetBurnFast", "SluiceLatencyBudgetBurnSlow",
                "SluiceErrorRateHigh", "SluiceAuditBacklogGrowing", "SluiceBreakerOpen", "SluiceCheckpointsFailing");
        Set<String> fired = new HashSet<>();
        Set<String> silent = new HashSet<>();
        YAML.readTree(PROMETHEUS.resolve("alerts-test.yml").toFile()).path("tests").forEach(t ->
                t.path("alert_rule_test").forEach(a -> (a.path("exp_alerts").isEmpty() ? silent : fired)
                        .add(a.path("alertname").asText())));
        assertThat(fired).as("alerts a test fires").containsAll(alerts);
        assertThat(silent).as("alerts a test keeps silent").containsAll(alerts);
    }

    @Test
    void prometheusScrapesTheReportersAndGatewaysAndLoadsTheRules() throws Exception {
        Promtool.Check check = Promtool.run(PROMETHEUS, null, "check", "config", "prometheus.yml");
        assertThat(check.exitCode()).as("promtool check config:%n%s", check.output()).isZero();

        JsonNode config = YAML.readTree(PROMETHEUS.resolve("prometheus.yml").toFile());
        assertThat(config.path("rule_files").toString()).contains("alerts.yml");
        // The reporter's port (the first of flink-conf's range) on each Flink service of compose.
        JsonNode flinkConf = YAML.readTree(ROOT.resolve("flink-conf/config.yaml").toFile());
        String range = flinkConf.path("metrics").path("reporter").path("prom").path("port").asText();
        String port = range.split("-")[0];
        JsonNode compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
        List<String> targets = new ArrayList<>();
        for (JsonNode job : config.path("scrape_configs")) {
            job.path("static_configs").forEach(c -> c.path("targets").forEach(t -> targets.add(t.asText())));
            job.path("file_sd_configs").forEach(c -> c.path("files").forEach(f ->
                    assertThat(PROMETHEUS.resolve(f.asText())).as("file_sd file").exists()));
        }
        assertThat(targets).containsExactlyInAnyOrder("jobmanager:" + port, "taskmanager:" + port);
        for (String target : targets) {
            assertThat(compose.path("services").has(target.split(":")[0])).as("compose service of %s", target).isTrue();
        }
        // The gateways to scrape are compose's, on the port each listens on.
        JsonNode gateways = YAML.readTree(PROMETHEUS.resolve("gateways.yml").toFile());
        List<String> gatewayTargets = new ArrayList<>();
        gateways.forEach(g -> g.path("targets").forEach(t -> gatewayTargets.add(t.asText())));
        assertThat(gatewayTargets).isNotEmpty();
        for (String target : gatewayTargets) {
            JsonNode service = compose.path("services").path(target.split(":")[0]);
            assertThat(service.isMissingNode()).as("compose service of %s", target).isFalse();
            assertThat(service.path("command").toString()).as("command of %s", target)
                    .contains("SluiceCli gateway").contains("--port " + target.split(":")[1]);
        }
        // Compose mounts this directory where the command looks for the file.
        JsonNode prometheus = compose.path("services").path("prometheus");
        assertThat(prometheus.path("volumes").toString()).contains("./monitoring/prometheus:/etc/prometheus");
        assertThat(prometheus.path("command").toString()).contains("--config.file=/etc/prometheus/prometheus.yml");
        // The rules run on the Prometheus whose promtool tested them.
        assertThat(prometheus.path("image").asText()).isEqualTo("prom/prometheus:v" + Promtool.version());
    }

    @Test
    void grafanaIsProvisionedWithThePrometheusOfComposeAndTheDashboard() throws IOException {
        JsonNode compose = YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
        JsonNode grafana = compose.path("services").path("grafana");
        String volumes = grafana.path("volumes").toString();
        assertThat(volumes).contains("./monitoring/grafana/provisioning:/etc/grafana/provisioning")
                .contains("./monitoring/grafana/dashboards:/var/lib/grafana/dashboards");
        JsonNode source = YAML.readTree(MonitoringFiles.DIR.resolve("grafana/provisioning/datasources/prometheus.yml")
                .toFile()).path("datasources").get(0);
        String prometheusPort = compose.path("services").path("prometheus").path("ports").get(0).asText()
                .replaceAll(".*:", "");
        assertThat(source.path("url").asText()).isEqualTo("http://prometheus:" + prometheusPort);
        JsonNode provider = YAML.readTree(MonitoringFiles.DIR.resolve("grafana/provisioning/dashboards/sluice.yml")
                .toFile()).path("providers").get(0);
        assertThat(provider.path("options").path("path").asText()).isEqualTo("/var/lib/grafana/dashboards");

        JsonNode dashboard = JSON.readTree(MonitoringFiles.DASHBOARD.toFile());
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel id %s unique", panel.path("id")).isTrue();
            if (!panel.path("type").asText().equals("row")) {
                assertThat(panel.path("datasource").path("uid").asText()).as("data source of %s", panel.path("title"))
                        .isEqualTo(source.path("uid").asText());
                assertThat(panel.path("targets")).as("queries of %s", panel.path("title")).isNotEmpty();
            }
        }
    }

    /** Each query becomes a recording rule, which promtool parses: a query with a typo fails here. */
    @Test
    void everyDashboardQueryParses(@TempDir Path dir) throws Exception {
        JsonNode dashboard = JSON.readTree(MonitoringFiles.DASHBOARD.toFile());
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int queries = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                // Grafana's own variable becomes a range Prometheus knows.
                String expr = target.path("expr").asText().replace("$__rate_interval", "1m");
                rules.append("      - record: dashboard:panel_").append(panel.path("id").asInt()).append('_')
                        .append(target.path("refId").asText()).append("\n        expr: ")
                        .append(JSON.writeValueAsString(expr)).append('\n');
                queries++;
            }
        }
        assertThat(queries).isGreaterThan(20);
        Files.writeString(dir.resolve("dashboard-rules.yml"), rules);
        Promtool.Check check = Promtool.run(dir, null, "check", "rules", "dashboard-rules.yml");
        assertThat(check.exitCode()).as("promtool check rules on the dashboard's queries:%n%s", check.output()).isZero();
    }
}
