package io.sluice.jobs.config;


import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.audit.AuditWriter;
import io.sluice.operators.retrieve.Fusion;
import io.sluice.operators.retrieve.SearchSettings;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import java.time.Duration;
import java.util.List;

/** Settings of the serving job. Every key is documented in the README's configuration table. */
public final class ServingOptions {

    private ServingOptions() {}

    /** How {@code chat.responses} is written. */
    public enum Delivery {
        /** Written as soon as the answer exists; at-least-once, readers drop repeats by requestId. */
        LOW_LATENCY,
        /** Kafka transactions committed on checkpoints; read_committed readers see each answer once. */
        EXACTLY_ONCE
    }

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS =
            ConfigOptions.key("sluice.kafka.bootstrap-servers").stringType().defaultValue("localhost:9092")
                    .withDescription("Kafka brokers of the chat topics.");

    public static final ConfigOption<String> REQUESTS_TOPIC =
            ConfigOptions.key("sluice.topics.requests").stringType().defaultValue("chat.requests")
                    .withDescription("Topic the chat requests arrive on; key them by conversationId.");

    public static final ConfigOption<String> RESPONSES_TOPIC =
            ConfigOptions.key("sluice.topics.responses").stringType().defaultValue("chat.responses")
                    .withDescription("Topic answers are written to, keyed by conversationId.");

    public static final ConfigOption<String> REJECTED_TOPIC =
            ConfigOptions.key("sluice.topics.rejected").stringType().defaultValue("chat.rejected")
                    .withDescription("Dead-letter topic for requests that were not answered, with a reason code.");

    public static final ConfigOption<String> USAGE_TOPIC =
            ConfigOptions.key("sluice.topics.usage").stringType().defaultValue("chat.usage")
                    .withDescription("The job's own topic of settlements: what each admitted generation spent, written "
                            + "exactly once by the stages after admission and read back by it to settle token budgets.");

    public static final ConfigOption<String> TENANT_LIMITS_TOPIC =
            ConfigOptions.key("sluice.topics.tenant-limits").stringType().defaultValue("chat.tenant-limits")
                    .withDescription("Where new versions of tenants' limits are published while the job runs (sluice "
                            + "limits set); read from the earliest record by the admission stage. Empty: limits come from "
                            + "the tenants file only and change with a restart.");

    public static final ConfigOption<String> REPLIES_TOPIC =
            ConfigOptions.key("sluice.topics.replies").stringType().defaultValue("chat.replies")
                    .withDescription("Topic answers and rejections go to, in the partition the request named "
                            + "(header sluice-reply-partition), for requests that name one: each gateway "
                            + "instance reads its own partition.");

    public static final ConfigOption<Boolean> GATEWAY_REQUIRE_SIGNATURE =
            ConfigOptions.key("sluice.gateway.require-signature").booleanType().defaultValue(false)
                    .withDescription("Answer only requests signed by a trusted producer (the gateway); others are "
                            + "rejected as UNAUTHENTICATED. Off: unsigned requests are answered, signed ones "
                            + "are still checked when a key is set.");

    public static final ConfigOption<String> GATEWAY_SIGNING_KEY_FILE =
            ConfigOptions.key("sluice.gateway.signing-key-file").stringType().defaultValue("")
                    .withDescription("File holding the key requests are signed with, read on the TaskManagers; "
                            + "empty reads the environment variable SLUICE_SIGNING_KEY there.");

    public static final ConfigOption<String> KAFKA_GROUP_ID =
            ConfigOptions.key("sluice.kafka.group-id").stringType().defaultValue("sluice-serving")
                    .withDescription("Consumer group of the requests source (offsets are also kept in checkpoints).");

    public static final ConfigOption<Delivery> RESPONSES_DELIVERY =
            ConfigOptions.key("sluice.responses.delivery").enumType(Delivery.class)
                    .defaultValue(Delivery.LOW_LATENCY)
                    .withDescription("LOW_LATENCY (at-least-once, immediate) or EXACTLY_ONCE "
                            + "(transactional, visible when a checkpoint completes).");

    public static final ConfigOption<String> INDEX_DIR =
            ConfigOptions.key("sluice.index.dir").stringType().noDefaultValue()
                    .withDescription("Directory of index snapshots written by the backfill.");

    public static final ConfigOption<String> INDEX_SNAPSHOT =
            ConfigOptions.key("sluice.index.snapshot").stringType().defaultValue("")
                    .withDescription("Snapshot id to pin; empty serves the promoted one, following promotions "
                            + "(see sluice.index.follow-promotions).");

    public static final ConfigOption<Boolean> INDEX_FOLLOW_PROMOTIONS =
            ConfigOptions.key("sluice.index.follow-promotions").booleanType().defaultValue(true)
                    .withDescription("With no snapshot pinned: serve each turn from the snapshot the index's "
                            + "promotion log names for its event time, so promotions take effect without a restart; "
                            + "false pins the promoted snapshot at job start.");

    public static final ConfigOption<String> EMBEDDING_MODEL =
            ConfigOptions.key("sluice.embedding.model").stringType()
                    .defaultValue("")
                    .withDescription("Embedding model of the questions: '" + EmbeddingModels.BUNDLED_BGE_SMALL_QUANTIZED
                            + "', '" + EmbeddingModels.BUNDLED_MINILM + "', '" + EmbeddingModels.BUNDLED_MINILM_QUANTIZED
                            + "' or a model directory (model.onnx, "
                            + "tokenizer.json, model-card.properties); it must be the pinned snapshot's. Empty: the "
                            + "bundled model the snapshot was embedded with.");

    public static final ConfigOption<Integer> EMBEDDING_INTRA_OP_THREADS =
            ConfigOptions.key("sluice.embedding.intra-op-threads").intType().defaultValue(1)
                    .withDescription("ONNX Runtime intra-op threads of the TaskManager's shared embedding session.");

    public static final ConfigOption<Integer> EMBEDDING_INTER_OP_THREADS =
            ConfigOptions.key("sluice.embedding.inter-op-threads").intType().defaultValue(1)
                    .withDescription("ONNX Runtime inter-op threads of the shared embedding session.");

    public static final ConfigOption<RuntimeOptions.ExecutionProvider> EMBEDDING_EXECUTION_PROVIDER =
            ConfigOptions.key("sluice.embedding.execution-provider").enumType(RuntimeOptions.ExecutionProvider.class)
                    .defaultValue(RuntimeOptions.ExecutionProvider.CPU)
                    .withDescription("CPU or CUDA (needs the gpu build profile; falls back to CPU with a log line).");

    public static final ConfigOption<Integer> EMBEDDING_CONCURRENT_CALLS =
            ConfigOptions.key("sluice.embedding.concurrent-calls").intType().defaultValue(2)
                    .withDescription("Model calls each embed subtask runs at once, each over a part of its batch, "
                            + "on threads of its own (the int8 models embed one question per call, so a batch is "
                            + "many short calls); 1: one at a time. Unlike intra-op threads these never spin.");

    public static final ConfigOption<Integer> EMBEDDING_MAX_BATCH_SIZE =
            ConfigOptions.key("sluice.embedding.max-batch-size").intType().defaultValue(32)
                    .withDescription("Questions embedded together in one batch at most.");

    public static final ConfigOption<Duration> EMBEDDING_MAX_WAIT =
            ConfigOptions.key("sluice.embedding.max-wait").durationType().defaultValue(Duration.ZERO)
                    .withDescription("Longest a question that finds the model idle waits for others to join its "
                            + "batch; 0 (the default): none, a lone question runs at once. Questions that arrive "
                            + "while a batch runs start together as soon as it ends, whatever this is, so "
                            + "batches still fill under load (docs/BENCHMARKS.md: 0 against 5 ms).");

    public static final ConfigOption<Boolean> EMBEDDING_OWN_TASK =
            ConfigOptions.key("sluice.embedding.own-task").booleanType().defaultValue(true)
                    .withDescription("Run the embed stage in a task of its own, retrieval and the conversation in "
                            + "the next: the embed task's thread then only takes questions in and hands results "
                            + "on. false: chained, one thread does all three, and a question or a finished batch "
                            + "waits while it searches and answers (docs/BENCHMARKS.md).");

    public static final ConfigOption<Integer> RETRIEVAL_CANDIDATES =
            ConfigOptions.key("sluice.retrieval.candidates").intType().defaultValue(50)
                    .withDescription("Candidates each retriever (BM25, vector) contributes before fusion.");

    public static final ConfigOption<String> TENANTS_FILE =
            ConfigOptions.key("sluice.tenants.file").stringType().defaultValue("")
                    .withDescription("JSON file of tenants and their limits; empty uses sluice.tenants.ids with default limits.");

    public static final ConfigOption<String> PRICES_FILE =
            ConfigOptions.key("sluice.prices.file").stringType().defaultValue("")
                    .withDescription("JSON price table (version, per answer model per 1,000 prompt and completion "
                            + "tokens, per embedding call); every answered turn then carries its cost. Empty: no cost.");

    public static final ConfigOption<List<String>> TENANTS_IDS =
            ConfigOptions.key("sluice.tenants.ids").stringType().asList().defaultValues("default")
                    .withDescription("Tenants with default limits, used when no tenants file is set.");

    public static final ConfigOption<Integer> REQUESTS_MAX_BYTES =
            ConfigOptions.key("sluice.requests.max-bytes").intType().defaultValue(256 * 1024)
                    .withDescription("Largest chat.requests record accepted; larger ones are rejected unparsed "
                            + "(PAYLOAD_TOO_LARGE).");

    public static final ConfigOption<Integer> RETRIEVAL_MAX_QUERY_TERMS =
            ConfigOptions.key("sluice.retrieval.max-query-terms").intType()
                    .defaultValue(SearchSettings.DEFAULT_MAX_QUERY_TERMS)
                    .withDescription("Distinct terms of a question that BM25 searches for (the first ones); "
                            + "at most 1023.");

    public static final ConfigOption<String> RETRIEVAL_FUSION =
            ConfigOptions.key("sluice.retrieval.fusion").stringType()
                    .defaultValue(SearchSettings.DEFAULT.fusion().spec())
                    .withDescription("How BM25 and vector candidates are fused: rrf:K (reciprocal rank fusion with "
                            + "constant K) or convex:W (min-max normalised scores, W the vector weight in [0, 1]).");

    public static final ConfigOption<Boolean> RETRIEVAL_COMPLETE_SCORES =
            ConfigOptions.key("sluice.retrieval.complete-scores").booleanType()
                    .defaultValue(SearchSettings.DEFAULT.completeScores())
                    .withDescription("In hybrid search, score every candidate by both BM25 and the vector "
                            + "similarity before fusion; off, a candidate one retriever missed gets nothing from it.");

    public static final ConfigOption<Float> RETRIEVAL_BM25_K1 =
            ConfigOptions.key("sluice.retrieval.bm25-k1").floatType().defaultValue(SearchSettings.DEFAULT.bm25K1())
                    .withDescription("BM25 term-frequency saturation; applies at search time.");

    public static final ConfigOption<Float> RETRIEVAL_BM25_B =
            ConfigOptions.key("sluice.retrieval.bm25-b").floatType().defaultValue(SearchSettings.DEFAULT.bm25B())
                    .withDescription("BM25 length normalisation in [0, 1]; applies at search time.");

    /** Whether a job with this configuration follows promotions: no snapshot pinned, and following not turned off. */
    public static boolean followsPromotions(ReadableConfig conf) {
        return conf.get(INDEX_SNAPSHOT).isBlank() && conf.get(INDEX_FOLLOW_PROMOTIONS);
    }

    /** The retrieval settings these options give. */
    public static SearchSettings searchSettings(ReadableConfig conf) {
        return new SearchSettings(Fusion.parse(conf.get(RETRIEVAL_FUSION)), conf.get(RETRIEVAL_BM25_K1),
                conf.get(RETRIEVAL_BM25_B), conf.get(RETRIEVAL_MAX_QUERY_TERMS),
                conf.get(RETRIEVAL_COMPLETE_SCORES));
    }

    public static final ConfigOption<Integer> CONVERSATION_MAX_TURNS =
            ConfigOptions.key("sluice.conversation.max-turns").intType().defaultValue(8)
                    .withDescription("Recent turns kept per conversation in keyed state.");

    public static final ConfigOption<Duration> CONVERSATION_TTL =
            ConfigOptions.key("sluice.conversation.ttl").durationType().defaultValue(Duration.ofDays(7))
                    .withDescription("How long a turn stays in its conversation's history, in event time: a turn said "
                            + "longer ago is not in a request's context; 0 keeps turns forever.");

    public static final ConfigOption<Duration> CONVERSATION_DUPLICATE_WINDOW =
            ConfigOptions.key("sluice.conversation.duplicate-window").durationType()
                    .defaultValue(io.sluice.operators.flink.ConversationOperator.Settings.DEFAULT_WINDOW)
                    .withDescription("How far back, in event time, a request id repeated in a conversation is "
                            + "rejected as DUPLICATE_REQUEST (besides the ids in its kept history).");

    public static final ConfigOption<Integer> CONVERSATION_DUPLICATE_WINDOW_IDS =
            ConfigOptions.key("sluice.conversation.duplicate-window-ids").intType()
                    .defaultValue(io.sluice.operators.flink.ConversationOperator.Settings.DEFAULT_WINDOW_IDS)
                    .withDescription("Most request ids per conversation the duplicate window remembers.");

    public static final ConfigOption<String> ANSWER_DEFAULT_MODEL =
            ConfigOptions.key("sluice.answer.default-model").stringType().defaultValue("extractive")
                    .withDescription("Answer model of requests and tenants that name none: 'extractive' "
                            + "(local, deterministic), a configured generative model ('remote'), or a profile or route of the "
                            + "routing policy.");

    /** Traces of the request path ({@link io.sluice.operators.trace.Tracing}): the operators read them. */
    public static final ConfigOption<String> TRACING_EXPORTER = io.sluice.operators.trace.TracingOptions.EXPORTER;
    public static final ConfigOption<String> TRACING_OTLP_ENDPOINT =
            io.sluice.operators.trace.TracingOptions.OTLP_ENDPOINT;
    public static final ConfigOption<String> TRACING_SERVICE_NAME =
            io.sluice.operators.trace.TracingOptions.SERVICE_NAME;

    public static final ConfigOption<String> CACHE_REDIS_URI =
            ConfigOptions.key("sluice.cache.redis-uri").stringType().defaultValue("")
                    .withDescription("Redis of the caches, e.g. redis://redis:6379; empty: no caches.");

    public static final ConfigOption<Duration> CACHE_EMBEDDING_TTL =
            ConfigOptions.key("sluice.cache.embedding-ttl").durationType().defaultValue(Duration.ofMinutes(5))
                    .withDescription("How long a question's vector stays in the embedding cache; 0: no embedding cache.");

    public static final ConfigOption<Duration> CACHE_TIMEOUT =
            ConfigOptions.key("sluice.cache.timeout").durationType().defaultValue(Duration.ofMillis(5))
                    .withDescription("Longest a cache lookup waits for Redis; then it is a miss.");

    public static final ConfigOption<String> ROUTING_POLICY =
            ConfigOptions.key("sluice.routing.policy").stringType().defaultValue("")
                    .withDescription("Routing policy (see README, Model routing): a JSON file of model profiles and "
                            + "routes, or a directory of versions of it picked up while the job runs; empty: every "
                            + "request is answered by the answer model it names.");

    public static final ConfigOption<Duration> ROUTING_RELOAD_INTERVAL =
            ConfigOptions.key("sluice.routing.reload-interval").durationType().defaultValue(Duration.ofSeconds(10))
                    .withDescription("How often a policy directory is looked at for new versions.");

    public static final ConfigOption<String> ANSWER_REMOTE_BASE_URL =
            ConfigOptions.key("sluice.answer.remote.base-url").stringType().noDefaultValue()
                    .withDescription("Base URL of an OpenAI-compatible server (vLLM, TGI, Ollama, ...), e.g. "
                            + "http://gpu-host:8000/v1. When set, the answer model 'remote' is offered.");

    public static final ConfigOption<String> ANSWER_REMOTE_MODEL =
            ConfigOptions.key("sluice.answer.remote.model").stringType().noDefaultValue()
                    .withDescription("Model name the remote server serves (the 'model' field of its API).");

    public static final ConfigOption<String> ANSWER_REMOTE_API_KEY_FILE =
            ConfigOptions.key("sluice.answer.remote.api-key-file").stringType().defaultValue("")
                    .withDescription("File holding the remote server's API key, read on the TaskManagers; empty "
                            + "reads the environment variable SLUICE_REMOTE_API_KEY there (no key if unset).");

    public static final ConfigOption<Duration> ANSWER_REMOTE_CONNECT_TIMEOUT =
            ConfigOptions.key("sluice.answer.remote.connect-timeout").durationType().defaultValue(Duration.ofSeconds(10))
                    .withDescription("Time to open a connection to the remote server.");

    public static final ConfigOption<Duration> ANSWER_REMOTE_READ_TIMEOUT =
            ConfigOptions.key("sluice.answer.remote.read-timeout").durationType().defaultValue(Duration.ofSeconds(60))
                    .withDescription("Longest silence between streamed bytes.");

    public static final ConfigOption<Duration> ANSWER_REMOTE_TOTAL_TIMEOUT =
            ConfigOptions.key("sluice.answer.remote.total-timeout").durationType().defaultValue(Duration.ofSeconds(120))
                    .withDescription("Longest a whole generation may take.");

    public static final ConfigOption<Integer> ANSWER_REMOTE_MAX_RETRIES =
            ConfigOptions.key("sluice.answer.remote.max-retries").intType().defaultValue(3)
                    .withDescription("Retries on 408/409/429/5xx and connection errors, before the first token only.");

    public static final ConfigOption<Integer> ANSWER_REMOTE_BREAKER_FAILURES =
            ConfigOptions.key("sluice.answer.remote.breaker.failures").intType().defaultValue(10)
                    .withDescription("Failures of the remote server (after retries: timeouts, connection errors, 429, 5xx, "
                            + "broken streams) within the window that open its circuit breaker, on each TaskManager.");

    public static final ConfigOption<Duration> ANSWER_REMOTE_BREAKER_WINDOW =
            ConfigOptions.key("sluice.answer.remote.breaker.window").durationType().defaultValue(Duration.ofSeconds(60))
                    .withDescription("How far back failures count toward opening the breaker.");

    public static final ConfigOption<Duration> ANSWER_REMOTE_BREAKER_COOL_DOWN =
            ConfigOptions.key("sluice.answer.remote.breaker.cool-down").durationType().defaultValue(Duration.ofSeconds(60))
                    .withDescription("How long an open breaker fails calls at once before one probe call may try again.");

    public static final ConfigOption<String> ANSWER_ONNX_MODEL_DIR =
            ConfigOptions.key("sluice.answer.onnx.model-dir").stringType().noDefaultValue()
                    .withDescription("Directory of a decoder-only ONNX model (model.onnx with KV cache, tokenizer.json, "
                            + "model-card.properties). When set, the answer model 'onnx' runs it in the TaskManager.");

    public static final ConfigOption<Integer> ANSWER_ONNX_MAX_BATCH_SIZE =
            ConfigOptions.key("sluice.answer.onnx.max-batch-size").intType().defaultValue(8)
                    .withDescription("Generations the in-process decoder runs in one batch at most.");

    public static final ConfigOption<Integer> ANSWER_ONNX_INTRA_OP_THREADS =
            ConfigOptions.key("sluice.answer.onnx.intra-op-threads").intType().defaultValue(1)
                    .withDescription("ONNX Runtime intra-op threads of the decoder session.");

    public static final ConfigOption<RuntimeOptions.ExecutionProvider> ANSWER_ONNX_EXECUTION_PROVIDER =
            ConfigOptions.key("sluice.answer.onnx.execution-provider").enumType(RuntimeOptions.ExecutionProvider.class)
                    .defaultValue(RuntimeOptions.ExecutionProvider.CPU)
                    .withDescription("CPU or CUDA for the decoder (needs the gpu build profile; falls back to CPU).");

    public static final ConfigOption<Double> ANSWER_TEMPERATURE =
            ConfigOptions.key("sluice.answer.temperature").doubleType().defaultValue(0.0)
                    .withDescription("Sampling temperature of generative answer models; 0 is greedy.");

    public static final ConfigOption<Double> ANSWER_TOP_P =
            ConfigOptions.key("sluice.answer.top-p").doubleType().defaultValue(1.0)
                    .withDescription("Nucleus sampling mass of generative answer models.");

    public static final ConfigOption<Integer> ANSWER_MAX_TOKENS =
            ConfigOptions.key("sluice.answer.max-tokens").intType().defaultValue(512)
                    .withDescription("Most tokens a generative answer may have.");

    public static final ConfigOption<Integer> ANSWER_MAX_IN_FLIGHT =
            ConfigOptions.key("sluice.answer.max-in-flight").intType().defaultValue(64)
                    .withDescription("Generations one conversation subtask runs at once per backend (profiles on one "
                            + "model server share it); a turn whose backend has none free waits while other backends' "
                            + "turns go on; a backend with 16 times as many turns waiting refuses further ones as "
                            + "OVERLOADED.");

    public static final ConfigOption<List<String>> CONVERSATION_LANES =
            ConfigOptions.key("sluice.conversation.lanes").stringType().asList().noDefaultValue()
                    .withDescription("Tenant tiers in priority order: interactive turns waiting for a backend slot "
                            + "start by these lanes first, then every other tier's, then bulk turns; unset: "
                            + "interactive turns oldest first, then bulk ones.");

    public static final ConfigOption<List<Integer>> CONVERSATION_DEGRADATION =
            ConfigOptions.key("sluice.conversation.degradation").intType().asList().noDefaultValue()
                    .withDescription("Backlogs (a model's generations running and waiting) at which generative turns "
                            + "take the steps of the degradation ladder: smaller top-k; compressed context; a cheaper "
                            + "profile; refusal (OVERLOADED). Four numbers, 0 for a step that is off; unset: none.");

    public static final ConfigOption<Duration> CONVERSATION_QUEUE_DELAY_BUDGET =
            ConfigOptions.key("sluice.conversation.queue-delay-budget").durationType().defaultValue(Duration.ZERO)
                    .withDescription("Queueing-delay budget: an interactive turn that has waited longer than this for a "
                            + "slot of its backend is taken off the queue to a cheaper profile of its chain (the "
                            + "ladder's cheaper-profile step), if it has one; 0: turns wait.");

    public static final ConfigOption<Integer> CONVERSATION_MAX_PENDING_TURNS =
            ConfigOptions.key("sluice.conversation.max-pending-turns").intType().defaultValue(16)
                    .withDescription("Turns of one conversation that may wait for the answer before them; "
                            + "more are rejected as CONVERSATION_BUSY.");

    public static final ConfigOption<String> AUDIT_JDBC_URL =
            ConfigOptions.key("sluice.audit.jdbc-url").stringType().noDefaultValue()
                    .withDescription("PostgreSQL JDBC URL of the audit trail.");

    public static final ConfigOption<AuditWriter.SchemaMode> AUDIT_SCHEMA =
            ConfigOptions.key("sluice.audit.schema").enumType(AuditWriter.SchemaMode.class)
                    .defaultValue(AuditWriter.SchemaMode.MIGRATE)
                    .withDescription("MIGRATE applies missing audit schema migrations at the first connection "
                            + "(needs the schema owner); VALIDATE only checks them (for the INSERT/SELECT writer role; "
                            + "run `sluice audit migrate` as the owner first).");

    public static final ConfigOption<Integer> AUDIT_MAX_BACKLOG_ROWS =
            ConfigOptions.key("sluice.audit.max-backlog-rows").intType().defaultValue(100_000)
                    .withDescription("Audit rows that may wait in state while PostgreSQL is unavailable; beyond "
                            + "that the job fails and restarts from its last checkpoint, which keeps them.");

    public static final ConfigOption<String> AUDIT_USER =
            ConfigOptions.key("sluice.audit.user").stringType().defaultValue("postgres")
                    .withDescription("Audit database user.");

    public static final ConfigOption<Long> AUDIT_MAX_BACKLOG_BYTES =
            ConfigOptions.key("sluice.audit.max-backlog-bytes").longType().defaultValue(256L * 1024 * 1024)
                    .withDescription("Estimated bytes of audit rows that may wait in state; beyond that the job "
                            + "fails and restarts from its last checkpoint, which keeps them.");

    public static final ConfigOption<Duration> AUDIT_SOCKET_TIMEOUT =
            ConfigOptions.key("sluice.audit.socket-timeout").durationType().defaultValue(Duration.ofSeconds(60))
                    .withDescription("Longest the audit writer waits for PostgreSQL's answer before it gives up "
                            + "and tries again later (a database that hangs, not only one that is down).");

    public static final ConfigOption<String> AUDIT_PASSWORD_FILE =
            ConfigOptions.key("sluice.audit.password-file").stringType().defaultValue("")
                    .withDescription("File holding the audit database password, read where the connection "
                            + "opens; empty reads the environment variable " + AuditConnection.PASSWORD_ENV
                            + " there.");

    /** Keys that held secrets in earlier builds; a configuration that still sets one is refused. */
    public static final java.util.Map<String, String> REMOVED_SECRET_KEYS = java.util.Map.of(
            "sluice.audit.password", AUDIT_PASSWORD_FILE.key() + " or " + AuditConnection.PASSWORD_ENV,
            "sluice.answer.remote.api-key", ANSWER_REMOTE_API_KEY_FILE.key() + " or SLUICE_REMOTE_API_KEY");

    /**
     * Refuses a configuration that holds a secret itself: Flink shows a job's configuration in its
     * web UI and REST API, and command lines show in process lists.
     */
    public static void refuseSecrets(org.apache.flink.configuration.ReadableConfig conf) {
        java.util.Map<String, String> all = conf instanceof org.apache.flink.configuration.Configuration c
                ? c.toMap() : java.util.Map.of();
        for (var removed : REMOVED_SECRET_KEYS.entrySet()) {
            if (all.containsKey(removed.getKey())) {
                throw new IllegalArgumentException(removed.getKey() + " is not read: a secret in the configuration "
                        + "shows in Flink's web UI, its REST API and process lists. Use " + removed.getValue()
                        + " instead.");
            }
        }
    }
}
