package io.sluice.gateway;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.serving.ServingJob;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.LocalStack;
import io.sluice.model.chat.OpenAiStandInServer;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;

/**
 * What the gateway tests run against: Kafka and PostgreSQL (real, embedded), the test corpus
 * backfilled, the API-key tables, and a serving job on the test's MiniCluster that answers signed
 * requests only, with {@code extractive} and {@code remote} (the OpenAI stand-in's {@code slow}
 * model, 150 ms per streamed piece) as answer models; tenant acme may use both, globex only
 * {@code extractive} (the tenants file the job and the gateways share).
 */
final class ServingBehindGateway implements AutoCloseable {

    final LocalStack stack;
    final OpenAiStandInServer remote;
    final JobClient job;
    final Path signingKey;
    final Path tenantsFile;

    /** A tenant whose rate limit admits one request a minute. */
    static final String LIMITED_TENANT = "limited";

    /** A tenant each of whose API keys may send one request a minute. */
    static final String KEY_LIMITED_TENANT = "keylimited";

    private ServingBehindGateway(LocalStack stack, OpenAiStandInServer remote, JobClient job, Path signingKey,
            Path tenantsFile) {
        this.stack = stack;
        this.remote = remote;
        this.job = job;
        this.signingKey = signingKey;
        this.tenantsFile = tenantsFile;
    }

    /** Starts everything under {@code work}; {@code replyPartitions} is how many gateways may run. */
    static ServingBehindGateway start(Path work, int replyPartitions) throws Exception {
        return start(work, replyPartitions, LocalStack.External.NONE);
    }

    /** As {@link #start(Path, int)}, with the services of {@code external} that are given instead of embedded ones. */
    static ServingBehindGateway start(Path work, int replyPartitions, LocalStack.External external) throws Exception {
        LocalStack stack = LocalStack.start(work.resolve("services"), external, replyPartitions);
        OpenAiStandInServer remote = new OpenAiStandInServer();
        TestCorpus.backfill(work);
        Path signingKey = Files.writeString(work.resolve("signing-key"), "shared by the gateways and the job");
        try (Connection owner = stack.openAuditConnection()) {
            ApiKeys.SCHEMA.migrate(owner);
        }
        // acme may use every model, globex only the extractive one; limited sends one request a minute,
        // keylimited one per key.
        Path tenants = Files.writeString(work.resolve("tenants.json"), "{\"tenants\": [{\"id\": \"" + TestCorpus.ACME
                + "\"}, {\"id\": \"" + TestCorpus.GLOBEX + "\", \"models\": [\"extractive\"]}, {\"id\": \""
                + LIMITED_TENANT + "\", \"rateLimit\": {\"requestsPerMinute\": 1, \"burst\": 1}}, {\"id\": \""
                + KEY_LIMITED_TENANT + "\", \"keyRateLimit\": {\"requestsPerMinute\": 1, \"burst\": 1}}]}");
        Configuration conf = stack.servingConfig(work.resolve("index"));
        conf.set(ServingOptions.TENANTS_FILE, tenants.toString());
        conf.set(ServingOptions.GATEWAY_REQUIRE_SIGNATURE, true);
        conf.set(ServingOptions.GATEWAY_SIGNING_KEY_FILE, signingKey.toString());
        conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remote.baseUrl());
        conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "slow");
        conf.set(ServingOptions.TRACING_EXPORTER, io.sluice.jobs.testing.MemorySpans.NAME);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.configure(conf);
        env.enableCheckpointing(500);
        env.setParallelism(2);
        ServingJob.fromConfiguration(conf).build(env);
        return new ServingBehindGateway(stack, remote, env.executeAsync("serving-behind-gateway"), signingKey, tenants);
    }

    /** A gateway set up for this job on {@code replyPartition}, on a free port; the rest is the caller's. */
    Gateway.Builder gateway(int replyPartition) {
        return gateway(replyPartition, stack.bootstrapServers());
    }

    /** As {@link #gateway(int)}, through the brokers' listener at {@code bootstrapServers}. */
    Gateway.Builder gateway(int replyPartition, String bootstrapServers) {
        return Gateway.Config.builder(bootstrapServers, stack.jdbcUrl()).listen("127.0.0.1", 0)
                .replyPartition(replyPartition).topics(LocalStack.REQUESTS_TOPIC, LocalStack.REPLIES_TOPIC)
                .database(stack.auditConnection().user(), null).signingKeyFile(signingKey.toString())
                .models(List.of("extractive", "remote")).tenantsFile(tenantsFile.toString())
                .tracing(io.sluice.jobs.testing.MemorySpans.NAME, null);
    }

    /** A new API key of {@code tenant}. */
    String createKey(String tenant, String name) throws Exception {
        try (Connection owner = stack.openAuditConnection()) {
            return ApiKeys.create(owner, tenant, name).key();
        }
    }

    boolean revoke(String key) throws Exception {
        try (Connection owner = stack.openAuditConnection()) {
            return ApiKeys.revoke(owner, key);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            job.cancel().get();
        } finally {
            try {
                remote.close();
            } finally {
                stack.close();
            }
        }
    }
}
