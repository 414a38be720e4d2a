package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.model.chat.OpenAiStandInServer;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Secrets stay secret: the audit password and the remote model's API key are given as files, are
 * used (the stand-in server sees the key), and appear nowhere in what the job's REST API shows of its
 * configuration, nor in any log line written while the job ran. A configuration that holds a secret
 * itself is refused. Personal data a request brings is redacted at validation and appears nowhere
 * after it either: not in answers, streamed pieces, rejections, audit rows, the remote model's prompt
 * or the logs.
 */
class SecretsITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).setConfiguration(TestClusters.rocksDb()).build());

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path work;

    /** Every log event of the JVM (INFO and up, every logger), message and stack trace, as text. */
    private static final class Captured extends AbstractAppender {
        final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();

        Captured() {
            super("secrets-capture", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public void append(LogEvent event) {
            StringWriter text = new StringWriter();
            text.append(event.getLoggerName()).append(": ").append(event.getMessage().getFormattedMessage());
            if (event.getThrown() != null) {
                event.getThrown().printStackTrace(new PrintWriter(text));
            }
            lines.add(text.toString());
        }
    }

    @Test
    void secretsAreUsedAndNeverShown(@InjectMiniCluster MiniCluster cluster) throws Exception {
        String password = "pw-" + UUID.randomUUID();
        String apiKey = "sk-" + UUID.randomUUID();
        Path passwordFile = Files.writeString(work.resolve("audit-password"), password + "\n");
        Path keyFile = Files.writeString(work.resolve("api-key"), apiKey + "\n");

        LoggerContext logs = (LoggerContext) LogManager.getContext(false);
        Captured captured = new Captured();
        captured.start();
        Level rootLevel = logs.getConfiguration().getRootLogger().getLevel();
        logs.getConfiguration().getRootLogger().addAppender(captured, Level.INFO, null);
        logs.getConfiguration().getRootLogger().setLevel(Level.INFO);
        logs.updateLoggers();
        try (LocalStack stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 1);
                OpenAiStandInServer remote = new OpenAiStandInServer()) {
            TestCorpus.backfill(work);
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.AUDIT_PASSWORD_FILE, passwordFile.toString());
            conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remote.baseUrl());
            conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "echo");
            conf.set(ServingOptions.ANSWER_REMOTE_API_KEY_FILE, keyFile.toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.configure(conf);
            env.enableCheckpointing(300);
            ServingJob.fromConfiguration(conf).build(env);
            JobClient job = env.executeAsync("secrets-itcase");
            try (ChatClient chat = stack.client(false, true); Connection db = stack.openAuditConnection()) {
                chat.send("s-1", TestCorpus.ACME, "conv-s", "How are refunds paid back?", ServingJob.REMOTE_MODEL);
                assertThat(chat.await("s-1", WAIT).rejected()).isFalse();
                Await.until("the audit row, written with the password from the file", WAIT,
                        () -> AuditRows.read(db).containsKey("s-1"));
                // The key was read on the TaskManager and used.
                assertThat(remote.authorizations).contains("Bearer " + apiKey);

                URI rest = cluster.getRestAddress().get();
                HttpClient http = HttpClient.newHttpClient();
                List<String> shown = new ArrayList<>();
                for (String path : List.of("/jobs/" + job.getJobID() + "/config",
                        "/jobs/" + job.getJobID() + "/jobmanager/config", "/jobmanager/config",
                        "/jobs/" + job.getJobID(), "/jobs/" + job.getJobID() + "/plan")) {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(rest.resolve(path)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(response.statusCode()).as(path).isEqualTo(200);
                    shown.add(response.body());
                }
                // The job's settings are shown (the check reads what it claims to read; Flink itself
                // masks values of keys that look sensitive, such as the file settings) ...
                assertThat(String.join("\n", shown)).contains(ServingOptions.AUDIT_PASSWORD_FILE.key())
                        .contains(ServingOptions.ANSWER_REMOTE_API_KEY_FILE.key())
                        .contains(conf.get(ServingOptions.INDEX_DIR));
                // ... and no secret is.
                assertThat(String.join("\n", shown)).doesNotContain(password).doesNotContain(apiKey);

                personalDataNeverLeavesTheRequest(chat, db, remote);
            } finally {
                job.cancel().get();
            }
        } finally {
            logs.getConfiguration().getRootLogger().removeAppender(captured.getName());
            logs.getConfiguration().getRootLogger().setLevel(rootLevel);
            logs.updateLoggers();
        }
        assertThat(captured.lines).hasSizeGreaterThan(100); // Flink, Kafka and Sluice logged at INFO meanwhile
        assertThat(captured.lines).noneMatch(line -> line.contains(password) || line.contains(apiKey));
        assertThat(captured.lines).noneMatch(line -> PERSONAL.stream().anyMatch(line::contains));
    }

    /** Seeded personal data, each in a format the detectors confirm. */
    private static final List<String> PERSONAL = List.of("jane.doe@example.com", "4111 1111 1111 1111",
            "+44 20 7946 0958", "123-45-6789", "DE89 3704 0044 0532 0130 00", OpenAiStandInServer.LEAKED_EMAIL,
            OpenAiStandInServer.LEAKED_PHONE);

    private static void personalDataNeverLeavesTheRequest(ChatClient chat, Connection db, OpenAiStandInServer remote)
            throws Exception {
        chat.send("p-1", TestCorpus.ACME, "conv-p", "Refund card 4111 1111 1111 1111 and mail jane.doe@example.com",
                ServingJob.REMOTE_MODEL); // the stand-in model echoes the question it was asked
        chat.sendRaw("p-2", "{\"requestId\":\"p-2\",\"tenantId\":\"" + TestCorpus.ACME + "\",\"answerModel\":\""
                + ServingJob.REMOTE_MODEL + "\",\"message\":\"Call me on +44 20 7946 0958\",\"history\":[{\"question\":"
                + "\"Refund to DE89 3704 0044 0532 0130 00\",\"answer\":\"Noted.\"}]}");
        chat.sendRaw("p-3", "{\"requestId\":\"p-3\",\"tenantId\":\"nobody\",\"conversationId\":\"c\","
                + "\"message\":\"my SSN is 123-45-6789\"}");
        chat.sendRaw("p-4", "{\"requestId\":\"p-4\",\"tenantId\":\"" + TestCorpus.ACME + "\",\"conversationId\":"
                + "\"jane.doe@example.com\",\"message\":\"hi\"}");
        // A model that makes personal data up: its answer is redacted before it leaves, streamed or not.
        chat.send("p-5", TestCorpus.ACME, "conv-p5", "Who handles refunds, " + OpenAiStandInServer.LEAK + "?",
                ServingJob.REMOTE_MODEL);
        List<String> seen = new ArrayList<>();
        for (String id : List.of("p-1", "p-2", "p-5")) {
            ChatClient.Reply reply = chat.await(id, WAIT);
            assertThat(reply.rejected()).as("rejection of %s: %s", id, reply.rejection()).isFalse();
            seen.add(reply.response().toString());
            chat.pieces(id).forEach(c -> seen.add(c.toString()));
        }
        assertThat(chat.await("p-1", WAIT).response().path("answer").asText())
                .contains("[PAYMENT_CARD_1]").contains("[EMAIL_1]");
        assertThat(chat.await("p-1", WAIT).response().path("redacted").toString())
                .isEqualTo("{\"EMAIL\":1,\"PAYMENT_CARD\":1}");
        JsonNode leaked = chat.await("p-5", WAIT).response();
        assertThat(leaked.path("answer").asText()).contains("Write to [EMAIL_1] or call [PHONE_1] today.");
        assertThat(leaked.path("answerRedacted").toString()).isEqualTo("{\"EMAIL\":1,\"PHONE\":1}");
        assertThat(chat.pieces("p-5").stream().map(c -> c.path("text").asText()).reduce("", String::concat))
                .isEqualTo(leaked.path("answer").asText());
        assertThat(chat.await("p-3", WAIT).rejection().path("reason").asText()).isEqualTo("UNKNOWN_TENANT");
        assertThat(chat.await("p-4", WAIT).rejection().path("reason").asText()).isEqualTo("PII_DETECTED");
        for (String id : List.of("p-3", "p-4")) {
            seen.add(chat.await(id, WAIT).rejection().toString());
        }
        Await.until("the audit rows of p-1, p-2 and p-5", WAIT,
                () -> AuditRows.read(db).keySet().containsAll(List.of("p-1", "p-2", "p-5")));
        try (var st = db.createStatement(); var rows = st.executeQuery("SELECT content FROM audit_turns")) {
            while (rows.next()) {
                seen.add(rows.getString(1));
            }
        }
        remote.requests.forEach(r -> seen.add(r.toString()));
        assertThat(seen).hasSizeGreaterThan(8)
                .noneMatch(text -> PERSONAL.stream().anyMatch(text::contains));
    }

    @Test
    void aConfigurationThatHoldsASecretIsRefused() {
        Configuration conf = new Configuration();
        conf.setString("sluice.audit.password", "hunter2");
        conf.set(ServingOptions.AUDIT_JDBC_URL, "jdbc:postgresql://localhost/x");
        assertThatThrownBy(() -> ServingJob.auditConnection(conf))
                .hasMessageContaining("sluice.audit.password is not read")
                .hasMessageContaining(ServingOptions.AUDIT_PASSWORD_FILE.key())
                .hasMessageNotContaining("hunter2");
    }
}
