package io.sluice.jobs.deploy;

import io.sluice.cli.SluiceCli;
import io.sluice.gateway.GatewayMetrics;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.schemas.tenants.TenantRegistry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Kubernetes runs here, so {@code deploy/kubernetes/} is checked as {@code docker-compose.yml}
 * is: the image against the build (base image, the jars it copies, where the manifests expect them),
 * the FlinkDeployment's configuration against {@code flink-conf/config.yaml} and Flink's options,
 * the job's and the gateway's arguments against the options Sluice defines, paths against the
 * volumes mounted, ports against probes, services and scrape annotations, and the autoscaler's
 * metric against the gateway's.
 */
class KubernetesManifestsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path DIR = ROOT.resolve("deploy/kubernetes");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static final Map<String, JsonNode> byKind = new HashMap<>();
    private static final List<JsonNode> services = new ArrayList<>();
    private static String pom;
    private static String dockerfile;

    @BeforeAll
    static void read() throws IOException {
        for (String file : List.of("serving.yaml", "gateway.yaml", "prometheus-adapter.yaml")) {
            for (JsonNode doc : YAML.readerFor(JsonNode.class).<JsonNode>readValues(DIR.resolve(file).toFile())
                    .readAll()) {
                String kind = doc.path("kind").asText();
                if (kind.equals("Service")) {
                    services.add(doc);
                } else {
                    assertThat(byKind.put(kind, doc)).as("one %s", kind).isNull();
                }
            }
        }
        pom = Files.readString(ROOT.resolve("pom.xml"));
        dockerfile = Files.readString(DIR.resolve("Dockerfile"));
    }

    private static String property(String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertThat(m.find()).as("pom property %s", name).isTrue();
        return m.group(1);
    }

    private static String version() {
        Matcher m = Pattern.compile("<artifactId>sluice-parent</artifactId>\\s*<version>([^<]+)<").matcher(pom);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    private static JsonNode kind(String kind) {
        JsonNode doc = byKind.get(kind);
        assertThat(doc).as(kind).isNotNull();
        return doc;
    }

    /** {@code COPY source destination} lines of the Dockerfile, source to destination. */
    private static Map<String, String> copies() {
        Map<String, String> copies = new HashMap<>();
        Matcher m = Pattern.compile("(?m)^COPY (\\S+) (\\S+)$").matcher(dockerfile);
        while (m.find()) {
            copies.put(m.group(1), m.group(2));
        }
        return copies;
    }

    /** The image tag the README tells to build, which every manifest must run. */
    private static String image() {
        Matcher m = Pattern.compile("docker build -f deploy/kubernetes/Dockerfile -t (\\S+) \\.").matcher(dockerfile);
        assertThat(m.find()).as("the build command in the Dockerfile").isTrue();
        return m.group(1);
    }

    @Test
    void theImageIsBuiltFromTheBuildsFlinkAndJars() {
        String flink = property("flink.version");
        assertThat(dockerfile).containsPattern("(?m)^FROM flink:" + Pattern.quote(flink) + "-scala_2\\.12-java17$");
        assertThat(image()).isEqualTo("sluice:" + version());
        Map<String, String> copies = copies();
        assertThat(copies).containsEntry("jobs/target/sluice-jobs-" + version() + "-job.jar",
                        "/opt/flink/usrlib/sluice-jobs.jar")
                .containsEntry("cli/target/sluice-cli-" + version() + "-cli.jar", "/opt/sluice/sluice-cli.jar")
                .containsEntry("flink-conf/target/lib/", "/opt/flink/lib/sluice/");
        assertThat(kind("FlinkDeployment").path("spec").path("image").asText()).isEqualTo(image());
        assertThat(kind("StatefulSet").path("spec").path("template").path("spec").path("containers").get(0)
                .path("image").asText()).isEqualTo(image());
    }

    @Test
    void theFlinkDeploymentAgreesWithFlinkConfAndFlinksOptions() throws Exception {
        JsonNode spec = kind("FlinkDeployment").path("spec");
        String[] flink = property("flink.version").split("\\.");
        assertThat(spec.path("flinkVersion").asText()).isEqualTo("v" + flink[0] + "_" + flink[1]);

        Map<String, String> standalone = new HashMap<>();
        flatten("", YAML.readTree(ROOT.resolve("flink-conf/config.yaml").toFile()), standalone);
        Set<String> known = new HashSet<>();
        for (Class<?> c : List.of(CheckpointingOptions.class, StateBackendOptions.class, StateChangelogOptions.class,
                FsStateChangelogOptions.class, StateRecoveryOptions.class, HighAvailabilityOptions.class,
                CoreOptions.class, PipelineOptions.class, RestartStrategyOptions.class, TaskManagerOptions.class,
                org.apache.flink.configuration.ExecutionOptions.class)) {
            known.addAll(keys(c));
        }
        Map<String, String> conf = new HashMap<>();
        spec.path("flinkConfiguration").fields().forEachRemaining(e -> conf.put(e.getKey(), e.getValue().asText()));
        for (var e : conf.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith("metrics.reporter.")) {
                assertThat(known).as("Flink option %s", key).contains(key);
            }
            // Paths and the reporter's port differ by design (a volume; one process per pod).
            if (standalone.containsKey(key) && !key.endsWith(".dir") && !key.endsWith("savepoint-dir")
                    && !key.equals(FsStateChangelogOptions.BASE_PATH.key())
                    && !key.equals("metrics.reporter.prom.port")) {
                assertThat(e.getValue().replaceAll("\\s+", " ")).as(key).isEqualTo(standalone.get(key));
            }
        }
        // What makes the job correct on any cluster is set here too.
        for (String key : List.of("state.backend.type", "state.changelog.enabled", "state.changelog.storage",
                "execution.state-recovery.claim-mode", "execution.checkpointing.mode",
                "execution.checkpointing.incremental", "execution.checkpointing.externalized-checkpoint-retention",
                "classloader.parent-first-patterns.additional", "pipeline.generic-types", "env.java.opts.all",
                "env.java.opts.taskmanager",
                "metrics.reporter.prom.factory.class", "execution.buffer-timeout.interval")) {
            assertThat(conf).as("flinkConfiguration").containsKey(key);
        }
        assertThat(conf.get("env.java.opts.all")).contains("-Dai.djl.offline=true");

        // Durable paths live on the shared volume.
        List<String> mounts = new ArrayList<>();
        JsonNode container = spec.path("podTemplate").path("spec").path("containers").get(0);
        assertThat(container.path("name").asText()).isEqualTo("flink-main-container");
        container.path("volumeMounts").forEach(m -> mounts.add(m.path("mountPath").asText()));
        String data = container.path("volumeMounts").get(0).path("mountPath").asText();
        for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
                FsStateChangelogOptions.BASE_PATH.key(), "high-availability.storageDir")) {
            assertThat(conf.get(key)).as(key).startsWith("file://" + data + "/");
        }
        // Metrics: the reporter's port is a named container port and the scrape annotation.
        String port = conf.get("metrics.reporter.prom.port");
        assertThat(container.path("ports").toString()).contains("\"containerPort\":" + port);
        assertThat(spec.path("podTemplate").path("metadata").path("annotations").path("prometheus.io/port").asText())
                .isEqualTo(port);

        // The job: the jar where the image puts it, arguments that are Sluice's options, paths mounted.
        assertThat(spec.path("job").path("jarURI").asText()).isEqualTo("local://" + copies().get(
                "jobs/target/sluice-jobs-" + version() + "-job.jar"));
        assertThat(spec.path("job").path("upgradeMode").asText()).isEqualTo("savepoint");
        List<String> args = new ArrayList<>();
        spec.path("job").path("args").forEach(a -> args.add(a.asText()));
        Set<String> sluiceKeys = keys(ServingOptions.class);
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.size(); i += 2) {
            assertThat(args.get(i)).startsWith("--");
            String key = args.get(i).substring(2);
            assertThat(sluiceKeys).as("option %s", key).contains(key);
            options.put(key, args.get(i + 1));
        }
        for (ConfigOption<String> file : List.of(ServingOptions.INDEX_DIR, ServingOptions.TENANTS_FILE,
                ServingOptions.AUDIT_PASSWORD_FILE, ServingOptions.GATEWAY_SIGNING_KEY_FILE)) {
            String path = options.get(file.key());
            assertThat(path).as(file.key()).isNotNull();
            assertThat(mounts.stream().anyMatch(m -> path.startsWith(m + "/"))).as("%s under a mount %s", path, mounts)
                    .isTrue();
        }
        assertThat(options).containsEntry(ServingOptions.GATEWAY_REQUIRE_SIGNATURE.key(), "true");
    }

    @Test
    void theGatewayRunsTheCliWithItsOwnReplyPartitionAndIsProbedScrapedAndScaled() throws Exception {
        JsonNode set = kind("StatefulSet");
        JsonNode pod = set.path("spec").path("template");
        JsonNode container = pod.path("spec").path("containers").get(0);
        List<String> args = new ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        assertThat(container.path("command").toString()).contains("/opt/sluice/sluice-cli.jar")
                .contains("io.sluice.cli.SluiceCli");
        // The reply partition is the pod's ordinal, from the label Kubernetes sets.
        assertThat(args).contains("--reply-partition=$(REPLY_PARTITION)");
        assertThat(container.path("env").get(0).path("valueFrom").path("fieldRef").path("fieldPath").asText())
                .isEqualTo("metadata.labels['apps.kubernetes.io/pod-index']");
        SluiceCli.commandLine().parseArgs(args.stream().map(a -> a.replace("$(REPLY_PARTITION)", "0"))
                .toArray(String[]::new));

        String port = args.stream().filter(a -> a.startsWith("--port=")).findFirst().orElseThrow().substring(7);
        assertThat(container.path("ports").get(0).path("containerPort").asText()).isEqualTo(port);
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/metrics");
        assertThat(pod.path("metadata").path("annotations").path("prometheus.io/port").asText()).isEqualTo(port);
        assertThat(pod.path("metadata").path("annotations").path("prometheus.io/path").asText()).isEqualTo("/metrics");
        String label = pod.path("metadata").path("labels").path("app").asText();
        assertThat(services).hasSize(2).allSatisfy(s -> {
            assertThat(s.path("spec").path("selector").path("app").asText()).isEqualTo(label);
            assertThat(s.path("spec").path("ports").get(0).path("targetPort").asText())
                    .isEqualTo(container.path("ports").get(0).path("name").asText());
        });
        assertThat(services.stream().map(s -> s.path("metadata").path("name").asText()))
                .contains(set.path("spec").path("serviceName").asText());

        List<String> mounts = new ArrayList<>();
        container.path("volumeMounts").forEach(m -> mounts.add(m.path("mountPath").asText()));
        for (String arg : args) {
            if (arg.matches("--[a-z-]+-file=.*")) {
                String path = arg.substring(arg.indexOf('=') + 1);
                assertThat(mounts.stream().anyMatch(m -> path.startsWith(m + "/"))).as("%s under a mount", arg).isTrue();
            }
        }

        JsonNode hpa = kind("HorizontalPodAutoscaler").path("spec");
        assertThat(hpa.path("scaleTargetRef").path("kind").asText()).isEqualTo("StatefulSet");
        assertThat(hpa.path("scaleTargetRef").path("name").asText()).isEqualTo(set.path("metadata").path("name").asText());
        assertThat(hpa.path("metrics").get(0).path("pods").path("metric").path("name").asText())
                .isEqualTo(GatewayMetrics.IN_FLIGHT);
        assertThat(hpa.path("minReplicas").asInt()).isPositive().isLessThanOrEqualTo(hpa.path("maxReplicas").asInt());
        assertThat(kind("ConfigMap").path("data").path("config.yaml").asText())
                .contains("seriesQuery: '" + GatewayMetrics.IN_FLIGHT + "{");
    }

    @Test
    void theConfigMapsTenantsLoad() throws IOException {
        assertThat(TenantRegistry.load(DIR.resolve("tenants.json")).all()).isNotEmpty();
        JsonNode kustomization = YAML.readTree(DIR.resolve("kustomization.yaml").toFile());
        assertThat(kustomization.path("resources").toString()).contains("serving.yaml").contains("gateway.yaml");
        assertThat(kustomization.path("configMapGenerator").get(0).path("name").asText()).isEqualTo("sluice-config");
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> into) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(),
                    e.getValue(), into));
        } else {
            into.put(prefix, node.asText());
        }
    }

    private static Set<String> keys(Class<?> options) throws IllegalAccessException {
        Set<String> keys = new HashSet<>();
        for (Field f : options.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                ConfigOption<?> o = (ConfigOption<?>) f.get(null);
                keys.add(o.key());
                o.fallbackKeys().forEach(k -> keys.add(k.getKey()));
            }
        }
        return keys;
    }
}
