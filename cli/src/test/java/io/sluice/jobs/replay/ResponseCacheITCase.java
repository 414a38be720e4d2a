package io.sluice.jobs.replay;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.Await;
import io.sluice.jobs.testing.AuditRows;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;

import com.fasterxml.jackson.databind.JsonNode;

import io.lettuce.core.RedisClient;

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
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The response cache with a real Redis (the local stack's) and the OpenAI-compatible stand-in: a
 * tenant that caches gets its repeated question answered from Redis without a model call, a tenant
 * that does not is asked every time, and a replay without the stand-in serves the same hit from the
 * journal and comes out identical.
 */
class ResponseCacheITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestClusters.oneTaskManager();

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String OTHER = "globex";

    @TempDir
    static Path work;

    private static LocalStack stack;

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    private static JsonNode ask(ChatClient chat, String id, String tenant, String message) throws Exception {
        chat.send(id, tenant, "conv-" + id, message, ServingJob.REMOTE_MODEL);
        ChatClient.Reply reply = chat.await(id, WAIT);
        assertThat(reply.rejected()).as("rejection of %s: %s", id, reply.rejection()).isFalse();
        return reply.response();
    }

    @Test
    void aRepeatedQuestionIsAnsweredFromRedisAndReplaysIdentical() throws Exception {
        stack = LocalStack.start(work.resolve("services"), LocalStack.External.NONE, 2);
        TestCorpus.backfill(work);
        Configuration conf;
        Path savepoint;
        try (OpenAiStandInServer remote = new OpenAiStandInServer();
                RedisClient redisClient = RedisClient.create(stack.redisUri());
                var redis = redisClient.connect()) {
            conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_FILE, Files.writeString(work.resolve("tenants.json"), """
                    {"tenants": [{"id": "%s", "pii": "allow", "responseCache": {"ttl": "10 min"}},
                                 {"id": "%s", "pii": "allow"}]}
                    """.formatted(TestCorpus.ACME, OTHER)).toString());
            conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remote.baseUrl());
            conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "echo");
            // Generous for a loaded test machine: here a slow lookup would be a miss, and the test expects a hit.
            conf.set(ServingOptions.CACHE_TIMEOUT, Duration.ofSeconds(2));
            JobClient job = TestClusters.serve(conf, "response-cache-itcase");
            try (ChatClient chat = stack.client(false, false); Connection db = stack.openAuditConnection()) {
                chat.send("warm-up", TestCorpus.ACME, "conv-warm-up", "How many days do I have to request a refund?");
                assertThat(chat.await("warm-up", WAIT).rejected()).isFalse();
                savepoint = Path.of(java.net.URI.create(job.triggerSavepoint(
                        work.resolve("savepoints").toUri().toString(), SavepointFormatType.CANONICAL).get()));

                String question = "How long does express shipping take?";
                JsonNode first = ask(chat, "first", TestCorpus.ACME, question);
                assertThat(first.path("responseCache").path("hit").asBoolean()).isFalse();
                String key = first.path("responseCache").path("key").asText();
                Await.until("the answer in Redis", WAIT, () -> redis.sync().exists(key) == 1);
                int calls = remote.requests.size();

                JsonNode again = ask(chat, "again", TestCorpus.ACME, question);
                assertThat(again.path("responseCache").path("hit").asBoolean()).isTrue();
                assertThat(again.path("responseCache").path("key").asText()).isEqualTo(key);
                assertThat(again.path("responseCache").path("from").asText()).as("the turn whose answer it is")
                        .isNotEmpty();
                assertThat(again.path("answer").asText()).isEqualTo(first.path("answer").asText());
                assertThat(again.path("usage").path("completionTokens").asLong()).isZero();
                assertThat(remote.requests).as("no model call for the hit").hasSize(calls);

                JsonNode other = ask(chat, "other", OTHER, question);
                assertThat(other.has("responseCache")).as("a tenant without a response cache").isFalse();
                assertThat(remote.requests).hasSize(calls + 1);
                Await.until("audit rows", WAIT, () -> AuditRows.read(db).keySet()
                        .containsAll(List.of("first", "again", "other")));
            } finally {
                job.cancel().get();
            }
        } // the stand-in is gone; Redis is emptied: replay must take the hit from the journal
        try (RedisClient redisClient = RedisClient.create(stack.redisUri()); var redis = redisClient.connect()) {
            redis.sync().flushall();
        }
        Replay.Result result = Replay.run(conf, Replay.Options.of(savepoint), p -> {});
        assertThat(result.report().divergences()).isEmpty();
        assertThat(result.report().identical()).isEqualTo(3);
        assertThat(result.report().identicalToTheAuditTrail()).isTrue();
    }
}
