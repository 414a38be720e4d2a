package io.sluice.jobs.replay;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;
import io.sluice.operators.audit.AuditRecord;

import com.fasterxml.jackson.databind.JsonNode;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAI-compatible stand-in made to fail in every way a backend does — 5xx bursts, 429 with
 * Retry-After, a hang after the first piece, a slow drip, a stream cut after two pieces, an outage
 * and its recovery — behind a routing policy whose profiles fall back to a healthy one. Each turn's
 * outcome is checked where the client sees it (answers, gapless piece sequences) and in the audit
 * trail (who answered, what failed over, which breaker was open); then the whole run is replayed
 * from a savepoint taken before it, without the stand-in, and comes out identical.
 */
class ResilienceITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestClusters.oneTaskManager();

    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path work;

    private static LocalStack stack;

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /**
     * Every profile names one of the stand-in's failure modes and falls back to 'backup' (echo).
     * 'down' opens its breaker after two failures and tries again after a short cool-down.
     */
    private static Path policy(OpenAiStandInServer remote) throws Exception {
        return Files.writeString(work.resolve("routing.json"), """
                {"version": 1,
                 "profiles": [
                   {"name": "bursting", "backend": "openai", "baseUrl": "%1$s", "model": "flaky",
                    "maxRetries": 3, "fallbacks": ["backup"]},
                   {"name": "throttled", "backend": "openai", "baseUrl": "%1$s", "model": "limited",
                    "maxRetries": 3, "fallbacks": ["backup"]},
                   {"name": "hanging", "backend": "openai", "baseUrl": "%1$s", "model": "stall",
                    "readTimeout": "500 ms", "maxRetries": 0, "fallbacks": ["backup"]},
                   {"name": "dripping", "backend": "openai", "baseUrl": "%1$s", "model": "drip",
                    "totalTimeout": "1500 ms", "maxRetries": 0, "fallbacks": ["backup"]},
                   {"name": "cutting", "backend": "openai", "baseUrl": "%1$s", "model": "drop",
                    "maxRetries": 0, "fallbacks": ["backup"]},
                   {"name": "down", "backend": "openai", "baseUrl": "%1$s", "model": "outage",
                    "maxRetries": 0, "breaker": {"failures": 2, "window": "10 min", "coolDown": "3 s"},
                    "fallbacks": ["backup"]},
                   {"name": "backup", "backend": "openai", "baseUrl": "%1$s", "model": "echo"}]}
                """.formatted(remote.baseUrl()));
    }

    private static JsonNode ask(ChatClient chat, String id, String profile, String message) throws Exception {
        chat.send(id, TestCorpus.ACME, "conv-" + id, message, profile);
        ChatClient.Reply reply = chat.await(id, WAIT);
        assertThat(reply.rejected()).as("rejection of %s: %s", id, reply.rejection()).isFalse();
        // What the client sees: one stream, numbered 0, 1, 2, ... without a gap or a repeat.
        List<Integer> sequences = chat.pieces(id).stream().map(c -> c.path("sequence").asInt()).toList();
        for (int i = 0; i < sequences.size(); i++) {
            assertThat(sequences.get(i)).as("piece %d of %s", i, id).isEqualTo(i);
        }
        return reply.response();
    }

    private static JsonNode routing(Connection db, String requestId) throws Exception {
        try (var st = db.prepareStatement("SELECT content FROM audit_turns WHERE request_id = ?")) {
            st.setString(1, requestId);
            try (ResultSet rs = st.executeQuery()) {
                assertThat(rs.next()).as("audit row of %s", requestId).isTrue();
                return AuditRecord.parse(rs.getString(1)).path("routing");
            }
        }
    }

    private static List<String> failedOver(JsonNode routing) {
        List<String> profiles = new ArrayList<>();
        routing.path("failovers").forEach(f -> profiles.add(f.path("profile").asText() + "/" + f.path("pieces").asInt()));
        return profiles;
    }

    @Test
    void everyFailureEndsInAnAnswerAndTheWholeRunReplaysIdentical() throws Exception {
        stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
        TestCorpus.backfill(work);
        Configuration conf;
        Path savepoint;
        List<String> turns = new ArrayList<>();
        try (OpenAiStandInServer remote = new OpenAiStandInServer()) {
            conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.ROUTING_POLICY, policy(remote).toString());
            JobClient job = TestClusters.serve(conf, "resilience-itcase");
            try (ChatClient chat = stack.client(false, false); Connection db = stack.openAuditConnection()) {
                ask(chat, "warm-up", "extractive", "How many days do I have to request a refund?");
                savepoint = Path.of(java.net.URI.create(job.triggerSavepoint(
                        work.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL).get()));

                // 503 twice, then answers: the client's retries absorb the burst; no failover.
                ask(chat, "burst", "bursting", "How long does express shipping take?");
                // 429 with Retry-After once, then answers.
                ask(chat, "throttle", "throttled", "Does the warranty cover water damage?");
                // One piece, then silence past the read timeout: backup continues after that piece.
                JsonNode hang = ask(chat, "hang", "hanging", "Can opened software be refunded?");
                assertThat(hang.path("answer").asText()).isEqualTo("You said: Can opened software be refunded? [1]");
                // A byte a second: the total timeout ends it before any text; backup answers afresh.
                ask(chat, "drip", "dripping", "How are refunds paid back?");
                // Two pieces, then the connection is cut: backup continues.
                JsonNode cut = ask(chat, "cut", "cutting", "What does the warranty cover?");
                assertThat(cut.path("answer").asText()).isEqualTo("You said: What does the warranty cover? [1]");
                turns.addAll(List.of("burst", "throttle", "hang", "drip", "cut"));

                // An outage: two failures open the breaker; then the profile is passed over.
                remote.down(true);
                ask(chat, "down-1", "down", "How long does standard shipping take?");
                ask(chat, "down-2", "down", "How long does standard shipping take?");
                ask(chat, "down-3", "down", "How long does standard shipping take?");
                turns.addAll(List.of("down-1", "down-2", "down-3"));
                // Recovery: after the cool-down one probe goes through, succeeds and closes the breaker.
                remote.down(false);
                String recovered = null;
                for (int i = 1; recovered == null; i++) {
                    String id = "up-" + i;
                    JsonNode answer = ask(chat, id, "down", "How long does standard shipping take?");
                    turns.add(id);
                    if ("down".equals(answer.path("routing").path("profile").asText())) {
                        recovered = id;
                    }
                    assertThat(i).as("turns until the breaker lets a probe through").isLessThan(200);
                }

                List<String> all = new ArrayList<>(turns);
                all.add("warm-up");
                Await.until("audit rows of every turn", WAIT, () -> AuditRows.read(db).keySet().containsAll(all));
                assertThat(failedOver(routing(db, "burst"))).isEmpty();
                assertThat(routing(db, "burst").path("profile").asText()).isEqualTo("bursting");
                assertThat(routing(db, "throttle").path("profile").asText()).isEqualTo("throttled");
                assertThat(failedOver(routing(db, "hang"))).containsExactly("hanging/1");
                assertThat(failedOver(routing(db, "drip"))).containsExactly("dripping/0");
                assertThat(failedOver(routing(db, "cut"))).containsExactly("cutting/2");
                assertThat(routing(db, "cut").path("profile").asText()).isEqualTo("backup");
                assertThat(failedOver(routing(db, "down-1"))).containsExactly("down/0");
                assertThat(failedOver(routing(db, "down-2"))).containsExactly("down/0");
                JsonNode open = routing(db, "down-3");
                assertThat(failedOver(open)).as("an open breaker is not called").isEmpty();
                assertThat(open.path("skipped").toString()).isEqualTo("[{\"profile\":\"down\",\"reason\":\"breaker-open\"}]");
                JsonNode closed = routing(db, recovered);
                assertThat(closed.path("profile").asText()).isEqualTo("down");
                assertThat(closed.path("skipped").size()).isZero();
            } finally {
                job.cancel().get();
            }
        } // the stand-in is gone: replay must not need it

        Replay.Result result = Replay.run(conf, Replay.Options.of(savepoint), p -> {});
        assertThat(result.report().divergences()).isEmpty();
        assertThat(result.report().missing()).isEmpty();
        assertThat(result.report().identical()).isEqualTo(turns.size());
        assertThat(result.report().identicalToTheAuditTrail()).isTrue();
    }
}
