package io.sluice.jobs.deploy;

import io.sluice.cli.SluiceCli;
import io.sluice.jobs.config.ServingOptions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No container engine runs here, so {@code docker-compose.yml} is checked instead of started:
 * images pinned to the versions the build uses, ports and paths that match the configuration,
 * volumes that exist, environment variables the code reads, options the CLI and Flink know.
 */
class DockerComposeTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static JsonNode compose;
    private static String pom;

    @BeforeAll
    static void read() throws IOException {
        compose = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docker-compose.yml").toFile());
        pom = Files.readString(ROOT.resolve("pom.xml"));
    }

    private static String property(String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
        assertThat(m.find()).as("pom property %s", name).isTrue();
        return m.group(1);
    }

    /** Published ports listen on loopback unless SLUICE_BIND_ADDRESS opts in to more. */
    private static final String LOOPBACK = "${SLUICE_BIND_ADDRESS:-127.0.0.1}:";

    private static JsonNode service(String name) {
        JsonNode s = compose.path("services").path(name);
        assertThat(s.isMissingNode()).as("service %s", name).isFalse();
        return s;
    }

    /** A service's command as one string, whichever YAML form it has. */
    private static String command(String name) {
        JsonNode c = service(name).path("command");
        StringBuilder sb = new StringBuilder();
        if (c.isArray()) {
            c.forEach(part -> sb.append(part.asText()).append(' '));
        } else {
            sb.append(c.asText());
        }
        return sb.toString().replaceAll("\\s+", " ").trim();
    }

    @Test
    void everyImageIsOfficialAndPinnedToTheVersionsTheBuildUses() {
        String flink = property("flink.version");
        String kafka = property("kafka.version");
        String postgresMajor = property("postgres-binaries.version").split("\\.")[0];
        compose.path("services").fields().forEachRemaining(e -> {
            String image = e.getValue().path("image").asText();
            assertThat(image).as("image of %s", e.getKey()).contains(":").doesNotEndWith(":latest");
            String repository = image.substring(0, image.indexOf(':'));
            String tag = image.substring(image.indexOf(':') + 1);
            switch (repository) {
                case "flink" -> assertThat(tag).startsWith(flink + "-").contains("java17");
                case "apache/kafka" -> assertThat(tag).isEqualTo(kafka);
                case "postgres" -> assertThat(tag).startsWith(postgresMajor + ".");
                case "redis" -> assertThat(tag).matches("\\d+\\.\\d+");
                // Pinned too; MonitoringTest ties Prometheus' version to the promtool that tests the rules.
                case "prom/prometheus" -> assertThat(tag).matches("v\\d+\\.\\d+\\.\\d+");
                case "grafana/grafana" -> assertThat(tag).matches("\\d+\\.\\d+\\.\\d+");
                default -> throw new AssertionError("unexpected image " + image + " in service " + e.getKey());
            }
        });
        assertThat(service("redis").path("ports").get(0).asText()).isEqualTo(LOOPBACK + "6379:6379");
    }

    @Test
    void portsAndAddressesMatchTheConfiguration() throws IOException {
        JsonNode flinkConf = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("flink-conf/config.yaml").toFile());
        int rest = flinkConf.path("rest").path("port").asInt();
        assertThat(service("jobmanager").path("ports").get(0).asText()).isEqualTo(LOOPBACK + rest + ":" + rest);
        assertThat(command("submit")).contains("--jobmanager jobmanager:" + rest);

        JsonNode kafkaEnv = service("kafka").path("environment");
        assertThat(kafkaEnv.path("KAFKA_ADVERTISED_LISTENERS").asText()).contains("PLAINTEXT://kafka:9092")
                .contains("HOST://localhost:29092");
        assertThat(service("kafka").path("ports").get(0).asText()).isEqualTo(LOOPBACK + "29092:29092");
        assertThat(command("submit")).contains("--sluice.kafka.bootstrap-servers kafka:9092");

        JsonNode pg = service("postgres");
        assertThat(pg.path("ports").get(0).asText()).isEqualTo(LOOPBACK + "5432:5432");
        String url = "jdbc:postgresql://postgres:5432/" + pg.path("environment").path("POSTGRES_DB").asText();
        // The owner migrates and creates the job's and the gateway's logins; they connect as those
        // logins, not as the owner.
        String owner = pg.path("environment").path("POSTGRES_USER").asText();
        List<String> migrations = cliRuns("migrate");
        assertThat(migrations).hasSize(2);
        assertThat(migrations.get(0)).startsWith("audit migrate ").contains("--jdbc-url " + url)
                .contains("--jdbc-user " + owner).contains("--writer-login sluice_job");
        assertThat(migrations.get(1)).startsWith("keys migrate ").contains("--jdbc-url " + url)
                .contains("--jdbc-user " + owner).contains("--reader-login sluice_gateway");
        assertThat(cliRuns("gateway").get(0)).contains("--jdbc-url " + url).contains("--jdbc-user sluice_gateway");
        assertThat(cliRuns("keys").get(0)).contains("--jdbc-url " + url).contains("--jdbc-user " + owner);
        assertThat(command("submit"))
                .contains("--sluice.audit.jdbc-url " + url)
                .contains("--sluice.audit.user sluice_job")
                .contains("--sluice.audit.schema VALIDATE")
                .contains("--sluice.audit.password-file /run/secrets/sluice-audit-password");
        String redisPort = service("redis").path("ports").get(0).asText().replaceAll(".*:", "");
        assertThat(command("submit")).contains("--" + ServingOptions.CACHE_REDIS_URI.key() + " redis://redis:" + redisPort);
        for (String service : List.of("migrate", "gateway")) {
            for (String run : cliRuns(service)) {
                SluiceCli.commandLine().parseArgs(run.split(" "));
            }
        }
        // `docker compose run --rm keys create --tenant default`: the arguments land where "$@" is.
        for (String use : List.of("create --tenant default", "list", "revoke 0123456789ab")) {
            SluiceCli.commandLine().parseArgs(cliRuns("keys").get(0).replace("\"$$@\"", use).split(" "));
        }
        assertThat(service("keys").path("profiles").toString()).as("keys runs on demand only").contains("tools");
    }

    /**
     * The arguments of each {@code SluiceCli} run in a service's entrypoint and command (a shell line
     * may run several, joined by {@code &&}), each up to the end of its line or the next {@code &&}.
     */
    private static List<String> cliRuns(String name) {
        JsonNode entrypoint = service(name).path("entrypoint");
        // An entrypoint of sh, -c, a script and the script's $0 takes the command as the script's
        // "$@"; otherwise the command is the script.
        String line = entrypoint.size() == 4 ? entrypoint.get(2).asText() : command(name);
        List<String> runs = new ArrayList<>();
        for (String part : line.replaceAll("\\s+", " ").split("&&")) {
            int at = part.indexOf("SluiceCli ");
            if (at >= 0) {
                runs.add(part.substring(at + "SluiceCli ".length()).trim());
            }
        }
        assertThat(runs).as("SluiceCli runs of %s", name).isNotEmpty();
        return runs;
    }

    /** The value of {@code option} in a run of the CLI or a command line. */
    private static String argument(String line, String option) {
        Matcher m = Pattern.compile(Pattern.quote(option) + " (\\S+)").matcher(line);
        assertThat(m.find()).as("%s in %s", option, line).isTrue();
        return m.group(1);
    }

    @Test
    void theGatewayIsTheFrontDoorAndSignsWhatTheJobChecks() {
        String gateway = cliRuns("gateway").get(0);
        String port = argument(gateway, "--port");
        assertThat(service("gateway").path("ports").get(0).asText()).isEqualTo(LOOPBACK + port + ":" + port);
        assertThat(argument(gateway, "--host")).isEqualTo("0.0.0.0");
        assertThat(argument(gateway, "--bootstrap-servers")).isEqualTo("kafka:9092");
        // Its reply partition exists: the topics service creates chat.replies with enough partitions.
        int partitions = Integer.parseInt(argument(command("kafka-topics"), "--partitions"));
        assertThat(Integer.parseInt(argument(gateway, "--reply-partition"))).isBetween(0, partitions - 1);

        // The gateway signs with the key the job checks with, both from the same secret; the job
        // requires signatures unless SLUICE_REQUIRE_SIGNATURE opts out.
        String key = argument(gateway, "--signing-key-file");
        String submit = command("submit");
        assertThat(argument(submit, "--" + ServingOptions.GATEWAY_SIGNING_KEY_FILE.key())).isEqualTo(key);
        assertThat(argument(submit, "--" + ServingOptions.GATEWAY_REQUIRE_SIGNATURE.key()))
                .isEqualTo("${SLUICE_REQUIRE_SIGNATURE:-true}");
        assertThat(compose.path("secrets").path("sluice-signing-key").path("environment").asText())
                .isEqualTo(io.sluice.schemas.RequestSignature.KEY_ENV);
        assertThat(compose.path("secrets").path("sluice-gateway-password").path("environment").asText())
                .isEqualTo("SLUICE_GATEWAY_PASSWORD");

        JsonNode depends = service("gateway").path("depends_on");
        assertThat(depends.path("migrate").path("condition").asText()).isEqualTo("service_completed_successfully");
        assertThat(depends.path("kafka-topics").path("condition").asText()).isEqualTo("service_completed_successfully");
    }

    /**
     * Every secret file a command names is one the service (for the job's options, the TaskManager
     * that reads them) has mounted.
     */
    @Test
    void everySecretFileNamedIsMountedWhereItIsRead() {
        Pattern secretFile = Pattern.compile("/run/secrets/([a-z-]+)");
        compose.path("services").fields().forEachRemaining(e -> {
            String reader = e.getKey().equals("submit") ? "taskmanager" : e.getKey();
            StringBuilder line = new StringBuilder(command(e.getKey()));
            e.getValue().path("entrypoint").forEach(part -> line.append(' ').append(part.asText()));
            e.getValue().path("environment").forEach(v -> line.append(' ').append(v.asText()));
            Matcher m = secretFile.matcher(line);
            while (m.find()) {
                assertThat(service(reader).path("secrets").toString()).as("secret %s read by %s", m.group(1), reader)
                        .contains("\"" + m.group(1) + "\"");
                assertThat(compose.path("secrets").has(m.group(1))).as("secret %s defined", m.group(1)).isTrue();
            }
        });
    }

    @Test
    void noPasswordIsWrittenInTheFile() throws IOException {
        String text = Files.readString(ROOT.resolve("docker-compose.yml"));
        assertThat(text).doesNotContainPattern("(?i)password: *[^/\\s]").doesNotContain("POSTGRES_PASSWORD:");
        JsonNode secrets = compose.path("secrets");
        assertThat(secrets.path("grafana-admin-password").path("environment").asText())
                .isEqualTo("SLUICE_GRAFANA_ADMIN_PASSWORD");
        assertThat(service("grafana").path("environment").path("GF_SECURITY_ADMIN_PASSWORD__FILE").asText())
                .isEqualTo("/run/secrets/grafana-admin-password");
        assertThat(secrets.path("postgres-owner-password").path("environment").asText())
                .isEqualTo("SLUICE_POSTGRES_OWNER_PASSWORD");
        assertThat(secrets.path("sluice-audit-password").path("environment").asText())
                .isEqualTo(io.sluice.operators.audit.AuditConnection.PASSWORD_ENV);
        assertThat(service("postgres").path("environment").path("POSTGRES_PASSWORD_FILE").asText())
                .isEqualTo("/run/secrets/postgres-owner-password");
        assertThat(service("taskmanager").path("secrets").toString()).contains("sluice-audit-password");
    }

    @Test
    void theTopicsCreatedAreTheOnesTheJobReads() {
        assertThat(command("kafka-topics")).contains("for t in " + String.join(" ",
                ServingOptions.REQUESTS_TOPIC.defaultValue(), ServingOptions.RESPONSES_TOPIC.defaultValue(),
                ServingOptions.REJECTED_TOPIC.defaultValue(), ServingOptions.REPLIES_TOPIC.defaultValue(),
                ServingOptions.USAGE_TOPIC.defaultValue(), ServingOptions.TENANT_LIMITS_TOPIC.defaultValue()) + ";");
    }

    @Test
    void theJobJarAndTheMountedPathsExist() throws IOException {
        Matcher version = Pattern.compile("<artifactId>sluice-parent</artifactId>\\s*<version>([^<]+)<").matcher(pom);
        assertThat(version.find()).isTrue();
        String jar = "sluice-jobs-" + version.group(1) + "-job.jar";
        String cli = "sluice-cli-" + version.group(1) + "-cli.jar";
        assertThat(command("submit")).contains("/jars/" + jar);
        // The one-shot CLI runs come from the CLI's own jar: the job jar carries only what the cluster runs.
        assertThat(command("backfill")).contains("/cli/" + cli);
        for (String service : List.of("migrate", "keys", "gateway")) {
            assertThat(service(service).toString()).as(service).contains("/cli/" + cli);
        }
        assertThat(Files.readString(ROOT.resolve("cli/pom.xml"))).contains("<shadedClassifierName>cli</shadedClassifierName>");
        assertThat(Files.readString(ROOT.resolve("jobs/pom.xml"))).contains("<shadedClassifierName>job</shadedClassifierName>");

        Set<String> named = new HashSet<>();
        compose.path("volumes").fieldNames().forEachRemaining(named::add);
        compose.path("services").fields().forEachRemaining(e -> e.getValue().path("volumes").forEach(v -> {
            String source = v.asText().split(":")[0];
            if (source.startsWith("./")) {
                Path dir = ROOT.resolve(source.substring(2));
                // target/ directories are the build's output; their module must exist.
                Path module = source.contains("/target") ? ROOT.resolve(source.substring(2, source.indexOf("/target"))) : dir;
                assertThat(module).as("mount %s of %s", source, e.getKey()).exists();
            } else {
                assertThat(named).as("named volume %s of %s", source, e.getKey()).contains(source);
            }
        }));
        assertThat(ROOT.resolve("flink-conf/config.yaml")).exists();
        // The TaskManager gets the jars flink-conf's build copies for a cluster's lib/.
        assertThat(service("taskmanager").path("volumes").toString()).contains("./flink-conf/target/lib:/opt/flink/lib/");
        assertThat(Files.readString(ROOT.resolve("flink-conf/pom.xml"))).contains("<outputDirectory>${project.build.directory}/lib");
    }

    @Test
    void environmentVariablesAndOptionsAreOnesTheCodeKnows() throws Exception {
        Set<String> readByCode = new HashSet<>();
        // Read with System.getenv("...") directly, or named by a constant that Secrets.resolve reads.
        Pattern getenv = Pattern.compile("getenv\\(\"(SLUICE_[A-Z_]+)\"\\)|_ENV = \"(SLUICE_[A-Z_]+)\"");
        try (Stream<Path> sources = Files.walk(ROOT)) {
            for (Path p : sources.filter(f -> f.toString().endsWith(".java") && f.toString().contains("/src/main/")).toList()) {
                Matcher m = getenv.matcher(Files.readString(p));
                while (m.find()) {
                    readByCode.add(m.group(1) != null ? m.group(1) : m.group(2));
                }
            }
        }
        compose.path("services").fields().forEachRemaining(e -> e.getValue().path("environment").fieldNames()
                .forEachRemaining(name -> {
                    if (name.startsWith("SLUICE_") && !name.equals("SLUICE_JAVA_OPTS")) {
                        assertThat(readByCode).as("%s of %s", name, e.getKey()).contains(name);
                    }
                }));

        Set<String> sluiceKeys = keys(ServingOptions.class);
        Matcher option = Pattern.compile("--(sluice\\.[a-z.-]+)").matcher(command("submit"));
        List<String> used = new ArrayList<>();
        while (option.find()) {
            used.add(option.group(1));
        }
        assertThat(used).isNotEmpty();
        assertThat(sluiceKeys).containsAll(used);

        Set<String> flinkKeys = new HashSet<>();
        for (Class<?> c : List.of(JobManagerOptions.class, RestOptions.class, TaskManagerOptions.class,
                CheckpointingOptions.class, FsStateChangelogOptions.class)) {
            flinkKeys.addAll(keys(c));
        }
        for (String service : List.of("jobmanager", "taskmanager")) {
            Matcher dynamic = Pattern.compile("-D ([a-z.-]+)=").matcher(command(service));
            while (dynamic.find()) {
                assertThat(flinkKeys).as("-D %s of %s", dynamic.group(1), service).contains(dynamic.group(1));
            }
            assertThat(service(service).path("environment").path("FLINK_CONF_DIR").asText())
                    .isEqualTo("/opt/sluice/flink-conf");
            // What a checkpoint is made of must outlive the container: config.yaml's /tmp paths are
            // replaced by paths on the shared volume.
            assertThat(service(service).path("volumes").toString()).contains("sluice-data:/sluice");
            for (String key : List.of(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(),
                    FsStateChangelogOptions.BASE_PATH.key())) {
                assertThat(command(service)).as("%s of %s", key, service).contains("-D " + key + "=file:///sluice/");
            }
        }

        // The backfill command parses with the CLI it runs.
        String backfill = command("backfill");
        String args = backfill.substring(backfill.indexOf("SluiceCli ") + "SluiceCli ".length());
        SluiceCli.commandLine().parseArgs(args.split(" "));
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
