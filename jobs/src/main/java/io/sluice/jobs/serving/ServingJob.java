package io.sluice.jobs.serving;

import io.sluice.jobs.config.KafkaClientProperties;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.model.chat.CircuitBreaker;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.OpenAiBackendConfig;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.ChatModelSpec;
import io.sluice.operators.answer.OnnxDecoderSpec;
import io.sluice.operators.answer.OpenAiChatModelSpec;
import io.sluice.operators.cache.EmbeddingCache;
import io.sluice.operators.cache.ResponseCache;
import io.sluice.operators.routing.DegradationLadder;
import io.sluice.operators.routing.PolicyDirectory;
import io.sluice.operators.routing.RoutingPolicyFile;
import io.sluice.operators.audit.AuditConnection;
import io.sluice.operators.batch.QuestionEmbedder;
import io.sluice.operators.cost.PriceTable;
import io.sluice.operators.batch.RecordRejector;
import io.sluice.operators.flink.AdmissionFunction;
import io.sluice.operators.flink.AuditWriterOperator;
import io.sluice.operators.flink.AuditWriterOperatorFactory;
import io.sluice.operators.flink.ConversationOperator;
import io.sluice.operators.flink.ConversationOperatorFactory;
import io.sluice.operators.flink.MicroBatchOperator;
import io.sluice.operators.flink.Rejections;
import io.sluice.operators.flink.RetrieveFunction;
import io.sluice.operators.flink.SettleFunction;
import io.sluice.operators.flink.ValidateFunction;
import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SearchSettings;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.EmbeddedRequest;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.RequestEnvelope;
import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.RetrievedRequest;
import io.sluice.schemas.AdmissionEvent;
import io.sluice.schemas.Settlement;
import io.sluice.schemas.tenants.LimitsUpdate;
import io.sluice.schemas.json.SettlementJson;
import io.sluice.schemas.json.RejectionJson;
import io.sluice.schemas.json.ResponseJson;
import io.sluice.schemas.tenants.InjectionPolicy;
import io.sluice.schemas.tenants.PiiPolicy;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.DataStreamUtils;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The serving job: {@code chat.requests} → validate → admission (keyed by tenant) →
 * keyBy(tenantId, conversationId) → embed (micro-batched) → retrieve → conversation (answers,
 * streamed pieces; embed to conversation chained in one task) → {@code chat.responses}, and
 * answers → audit trail; rejections → {@code chat.rejected}.
 *
 * <p>The job takes its source and sinks as constructor arguments, so tests and the CLI wire real
 * Kafka and PostgreSQL or anything else; {@link #fromConfiguration} wires the production ones.
 */
public final class ServingJob {

    /** Fixed operator uids: savepoints map state to operators by these. Never change them. */
    public static final String UID_SOURCE = "chat-requests";
    public static final String UID_VALIDATE = "validate";
    public static final String UID_ADMISSION = "admission";
    public static final String UID_USAGE_IN = "chat-usage-in";
    public static final String UID_USAGE_OUT = "chat-usage";
    public static final String UID_LIMITS_IN = "chat-tenant-limits-in";
    public static final String UID_SETTLE_ANSWERS = "settle-answers";
    public static final String UID_SETTLE_REJECTIONS = "settle-rejections";
    public static final String UID_EMBED = "embed";
    public static final String UID_RETRIEVE = "retrieve";
    public static final String UID_CONVERSATION = "conversation";
    public static final String UID_RESPONSES = "chat-responses";
    public static final String UID_REJECTED = "chat-rejected";
    public static final String UID_ANSWERS = "answers";
    public static final String UID_AUDIT = "audit";

    /** What the operators need, resolved once when the job is built. */
    public record Settings(
            String indexDir,
            String snapshotId,
            boolean followPromotions,
            QuestionEmbedder.Settings embed,
            boolean embedOwnTask,
            int candidates,
            SearchSettings search,
            int maxRequestBytes,
            ValidateFunction.Signing signing,
            TenantRegistry tenants,
            AnswerModels answerModels,
            ConversationOperator.Settings conversation) {

        /**
         * These settings as replay runs them: with {@code models} answering, the breakers routing found
         * open taken from the journal ({@code openBreakers}: profiles by request position), the
         * response-cache hits served from it ({@code cacheHits}, by position), the degradations of
         * turns, with the backlog and queueing delay they were decided on ({@code degradations}, by
         * position), every question
         * embedded again (no embedding cache), and history never expiring in storage.
         */
        public Settings forReplay(AnswerModels models, Map<String, ? extends java.util.Collection<String>> openBreakers,
                Map<String, ResponseCache.Cached> cacheHits,
                Map<String, io.sluice.schemas.RoutingDecision.Degradation> degradations) {
            return new Settings(indexDir, snapshotId, followPromotions, embed.withCache(null), embedOwnTask,
                    candidates, search, maxRequestBytes, signing, tenants, models,
                    conversation.forReplay(models, openBreakers, cacheHits, degradations));
        }

        /**
         * Reads the settings and resolves the index snapshot: the configured id (pinned), or the
         * promoted one at this moment, which the job then leaves for later promotions as the promotion
         * log says unless {@code sluice.index.follow-promotions} is false.
         */
        public static Settings from(ReadableConfig conf) {
            String indexDir = conf.getOptional(ServingOptions.INDEX_DIR).orElseThrow(
                    () -> new IllegalArgumentException(ServingOptions.INDEX_DIR.key() + " is required"));
            try {
                IndexStore store = new IndexStore(Path.of(indexDir));
                String snapshot = store.resolve(conf.get(ServingOptions.INDEX_SNAPSHOT));
                String snapshotModel = SnapshotManifest.readVerified(store.snapshotDir(snapshot)).embeddingModel();
                String model = conf.get(ServingOptions.EMBEDDING_MODEL);
                if (model.isBlank()) {
                    model = EmbeddingModels.bundledWithId(snapshotModel).orElseThrow(() -> new IllegalArgumentException(
                            "Index snapshot " + snapshot + " was embedded with " + snapshotModel + ", which is not a "
                                    + "bundled model; set " + ServingOptions.EMBEDDING_MODEL.key()
                                    + " to its model directory"));
                }
                String configuredModel = EmbeddingModels.card(model).qualifiedId();
                if (!configuredModel.equals(snapshotModel)) {
                    // Vectors of different models live in different spaces: kNN would return noise.
                    throw new IllegalArgumentException("Index snapshot " + snapshot + " was embedded with "
                            + snapshotModel + ", but " + ServingOptions.EMBEDDING_MODEL.key() + " is " + model
                            + " (" + configuredModel + "); serve it with the same model or backfill again");
                }
                String tenantsFile = conf.get(ServingOptions.TENANTS_FILE);
                TenantRegistry tenants = tenantsFile.isBlank()
                        ? TenantRegistry.of(conf.get(ServingOptions.TENANTS_IDS).toArray(String[]::new))
                        : TenantRegistry.load(Path.of(tenantsFile));
                RuntimeOptions runtime = new RuntimeOptions(conf.get(ServingOptions.EMBEDDING_INTRA_OP_THREADS),
                        conf.get(ServingOptions.EMBEDDING_INTER_OP_THREADS), conf.get(ServingOptions.EMBEDDING_EXECUTION_PROVIDER));
                AnswerModels answerModels = ServingJob.answerModels(conf);
                for (Tenant t : tenants.all()) {
                    if (t.answerModel() != null && !answerModels.contains(t.answerModel())) {
                        throw new IllegalArgumentException("Tenant " + t.id() + " is answered by '" + t.answerModel()
                                + "', which is not configured; configured answer models: " + answerModels.names());
                    }
                    if (t.models() != null && t.allowed(answerModels.names()).size() < t.models().size()) {
                        throw new IllegalArgumentException("Tenant " + t.id() + " may use " + t.models() + ", but "
                                + "only " + answerModels.names() + " are configured");
                    }
                    for (String budgeted : t.limits().modelTokens().keySet()) {
                        if (!answerModels.mayGenerate(budgeted)) {
                            throw new IllegalArgumentException("Tenant " + t.id() + " has a token budget for '"
                                    + budgeted + "', which is not a configured generative answer model or a route "
                                    + "to one; configured: " + answerModels.names());
                        }
                    }
                    if (!t.allows(answerModels.defaultModel()) && t.answerModel() == null) {
                        throw new IllegalArgumentException("Tenant " + t.id() + " may not use the default answer model '"
                                + answerModels.defaultModel() + "' (" + ServingOptions.ANSWER_DEFAULT_MODEL.key()
                                + "); give it an answerModel of its models " + t.models());
                    }
                }
                var conversation = new ConversationOperator.Settings(conf.get(ServingOptions.CONVERSATION_MAX_TURNS),
                        conf.get(ServingOptions.CONVERSATION_TTL), model, answerModels,
                        conf.get(ServingOptions.ANSWER_MAX_IN_FLIGHT),
                        conf.get(ServingOptions.CONVERSATION_MAX_PENDING_TURNS),
                        conf.get(ServingOptions.CONVERSATION_DUPLICATE_WINDOW_IDS),
                        conf.get(ServingOptions.CONVERSATION_DUPLICATE_WINDOW), false)
                        .withPrices(prices(conf, answerModels))
                        .withUnredactedTenants(tenants.all().stream().filter(t -> t.pii() == PiiPolicy.ALLOW)
                                .map(Tenant::id).toList())
                        .withFlagOnlyTenants(tenants.all().stream()
                                .filter(t -> t.injection() == InjectionPolicy.FLAG).map(Tenant::id).toList())
                        .withTenants(tenants)
                        .withLanes(conf.getOptional(ServingOptions.CONVERSATION_LANES).orElse(List.of()))
                        .withDegradation(DegradationLadder.of(conf.getOptional(ServingOptions.CONVERSATION_DEGRADATION)
                                .orElse(List.of())).withQueueDelay(conf.get(ServingOptions.CONVERSATION_QUEUE_DELAY_BUDGET)))
                        .withResponseCache(new ResponseCache.Settings(conf.get(ServingOptions.CACHE_REDIS_URI),
                                conf.get(ServingOptions.CACHE_TIMEOUT)));
                for (var count : List.of(ServingOptions.EMBEDDING_CONCURRENT_CALLS, ServingOptions.EMBEDDING_MAX_BATCH_SIZE)) {
                    if (conf.get(count) < 1) {
                        throw new IllegalArgumentException(count.key() + " must be at least 1, not " + conf.get(count));
                    }
                }
                QuestionEmbedder.Settings embed = new QuestionEmbedder.Settings(model, runtime,
                        conf.get(ServingOptions.EMBEDDING_CONCURRENT_CALLS), conf.get(ServingOptions.EMBEDDING_MAX_BATCH_SIZE),
                        conf.get(ServingOptions.EMBEDDING_MAX_WAIT), new EmbeddingCache.Settings(
                                conf.get(ServingOptions.CACHE_REDIS_URI), conf.get(ServingOptions.CACHE_EMBEDDING_TTL),
                                conf.get(ServingOptions.CACHE_TIMEOUT)));
                return new Settings(indexDir, snapshot, ServingOptions.followsPromotions(conf), embed,
                        conf.get(ServingOptions.EMBEDDING_OWN_TASK), conf.get(ServingOptions.RETRIEVAL_CANDIDATES),
                        ServingOptions.searchSettings(conf), conf.get(ServingOptions.REQUESTS_MAX_BYTES),
                        ServingJob.signing(conf), tenants, answerModels, conversation);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Where the request-signing key is read on the TaskManagers, and whether signatures are required. */
    static ValidateFunction.Signing signing(ReadableConfig conf) {
        String file = conf.get(ServingOptions.GATEWAY_SIGNING_KEY_FILE);
        return new ValidateFunction.Signing(file.isBlank() ? null : file, conf.get(ServingOptions.GATEWAY_REQUIRE_SIGNATURE));
    }

    /**
     * The configured answer models: the extractive answerer, 'remote' when a base URL is set,
     * 'onnx' when a decoder directory is set, and the profiles and routes of the routing policy (a
     * file; or a directory of versions: the newest, with the others in force at their event times).
     */
    static AnswerModels answerModels(ReadableConfig conf) throws IOException {
        AnswerModels configured = configuredModels(conf);
        String policy = conf.get(ServingOptions.ROUTING_POLICY);
        // The default may name a profile or route of the policy: set once every name is known.
        String defaultModel = conf.get(ServingOptions.ANSWER_DEFAULT_MODEL);
        if (policy.isBlank()) {
            return configured.withDefaultModel(defaultModel);
        }
        Path path = Path.of(policy);
        if (java.nio.file.Files.isDirectory(path)) {
            return PolicyDirectory.load(path, configured, defaultModel, conf.get(ServingOptions.ROUTING_RELOAD_INTERVAL));
        }
        return RoutingPolicyFile.load(path, configured).withDefaultModel(defaultModel);
    }

    private static AnswerModels configuredModels(ReadableConfig conf) {
        Map<String, ChatModelSpec> generative = new TreeMap<>();
        conf.getOptional(ServingOptions.ANSWER_REMOTE_BASE_URL).ifPresent(baseUrl -> {
            String model = conf.getOptional(ServingOptions.ANSWER_REMOTE_MODEL).orElseThrow(() ->
                    new IllegalArgumentException(ServingOptions.ANSWER_REMOTE_MODEL.key() + " is required with "
                            + ServingOptions.ANSWER_REMOTE_BASE_URL.key()));
            // The key itself is read on the TaskManager when the model opens (OpenAiChatModelSpec).
            generative.put(REMOTE_MODEL, new OpenAiChatModelSpec(new OpenAiBackendConfig(baseUrl, model, null,
                    conf.get(ServingOptions.ANSWER_REMOTE_CONNECT_TIMEOUT),
                    conf.get(ServingOptions.ANSWER_REMOTE_READ_TIMEOUT),
                    conf.get(ServingOptions.ANSWER_REMOTE_TOTAL_TIMEOUT),
                    conf.get(ServingOptions.ANSWER_REMOTE_MAX_RETRIES)),
                    conf.get(ServingOptions.ANSWER_REMOTE_API_KEY_FILE),
                    new CircuitBreaker.Settings(conf.get(ServingOptions.ANSWER_REMOTE_BREAKER_FAILURES),
                            conf.get(ServingOptions.ANSWER_REMOTE_BREAKER_WINDOW),
                            conf.get(ServingOptions.ANSWER_REMOTE_BREAKER_COOL_DOWN))));
        });
        conf.getOptional(ServingOptions.ANSWER_ONNX_MODEL_DIR).ifPresent(dir -> {
            if (!java.nio.file.Files.isDirectory(Path.of(dir))) {
                throw new IllegalArgumentException(ServingOptions.ANSWER_ONNX_MODEL_DIR.key() + " " + dir
                        + " is not a directory");
            }
            generative.put(ONNX_MODEL, new OnnxDecoderSpec(dir, new RuntimeOptions(
                    conf.get(ServingOptions.ANSWER_ONNX_INTRA_OP_THREADS), 1, conf.get(ServingOptions.ANSWER_ONNX_EXECUTION_PROVIDER)),
                    conf.get(ServingOptions.ANSWER_ONNX_MAX_BATCH_SIZE)));
        });
        GenerationParams sampling = new GenerationParams(conf.get(ServingOptions.ANSWER_TEMPERATURE),
                conf.get(ServingOptions.ANSWER_TOP_P), conf.get(ServingOptions.ANSWER_MAX_TOKENS), 0L, List.of());
        return new AnswerModels(AnswerModels.EXTRACTIVE, generative, sampling);
    }

    /**
     * The price table of {@code sluice.prices.file}, or null without one. Every generative model must
     * have a price: a turn priced at nothing by omission would make the costs wrong without a word.
     */
    static PriceTable prices(ReadableConfig conf, AnswerModels answerModels) throws IOException {
        String file = conf.get(ServingOptions.PRICES_FILE);
        if (file.isBlank()) {
            return null;
        }
        PriceTable prices = PriceTable.load(Path.of(file));
        for (String model : answerModels.known().stream().flatMap(m -> m.generativeModels().keySet().stream())
                .collect(java.util.stream.Collectors.toCollection(TreeSet::new))) {
            if (!prices.prices(model)) {
                throw new IllegalArgumentException("Prices file " + file + " has no price for the answer model '"
                        + model + "'; add it under \"models\" (0 if it costs nothing)");
            }
        }
        return prices;
    }

    /** The name of the OpenAI-compatible answer model configured under {@code sluice.answer.remote}. */
    public static final String REMOTE_MODEL = "remote";

    /** The name of the in-process decoder configured under {@code sluice.answer.onnx}. */
    public static final String ONNX_MODEL = "onnx";

    private final Settings settings;
    private final Source<RequestEnvelope, ?, ?> requests;
    private final Sink<ResponseEvent> responses;
    private final Sink<Rejection> rejected;
    private final OneInputStreamOperatorFactory<AnsweredTurn, Void> audit;
    private final Source<Settlement, ?, ?> usageIn;
    private final Sink<Settlement> usageOut;
    private Map<String, String> shownSettings = Map.of();
    private Source<LimitsUpdate, ?, ?> limitsIn;

    /** This job, reading new versions of tenants' limits from {@code source} while it runs (null: none). */
    public ServingJob withLimitsUpdates(Source<LimitsUpdate, ?, ?> source) {
        this.limitsIn = source;
        return this;
    }

    /**
     * @param usageIn the settlements the admission stage reads back; {@code usageOut} must deliver what
     *     the job writes to it exactly once, committed with the job's checkpoints
     */
    public ServingJob(Settings settings, Source<RequestEnvelope, ?, ?> requests,
            Sink<ResponseEvent> responses, Sink<Rejection> rejected,
            OneInputStreamOperatorFactory<AnsweredTurn, Void> audit, Source<Settlement, ?, ?> usageIn,
            Sink<Settlement> usageOut) {
        this.settings = settings;
        this.requests = requests;
        this.responses = responses;
        this.rejected = rejected;
        this.audit = audit;
        this.usageIn = usageIn;
        this.usageOut = usageOut;
    }

    /**
     * One of admission's feedback topics, read {@code read_committed} from the group's committed
     * offsets, or from the earliest record for a new group.
     */
    private static <T> KafkaSource<T> readCommitted(ReadableConfig conf, Map<String, String> kafka, String topic,
            String groupSuffix,
            org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema<T> records) {
        var source = KafkaSource.<T>builder()
                .setBootstrapServers(conf.get(ServingOptions.KAFKA_BOOTSTRAP_SERVERS))
                .setTopics(topic)
                .setGroupId(conf.get(ServingOptions.KAFKA_GROUP_ID) + groupSuffix)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setProperty("isolation.level", "read_committed")
                .setDeserializer(records);
        kafka.forEach(source::setProperty);
        return source.build();
    }

    /** The production wiring: Kafka source and sinks, PostgreSQL audit trail. */
    public static ServingJob fromConfiguration(ReadableConfig conf) {
        String servers = conf.get(ServingOptions.KAFKA_BOOTSTRAP_SERVERS);
        Map<String, String> kafka = KafkaClientProperties.from(conf);
        var requests = KafkaSource.<RequestEnvelope>builder()
                .setBootstrapServers(servers)
                .setTopics(conf.get(ServingOptions.REQUESTS_TOPIC))
                .setGroupId(conf.get(ServingOptions.KAFKA_GROUP_ID))
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RequestDeserializer());
        kafka.forEach(requests::setProperty);
        KafkaSource<RequestEnvelope> source = requests.build();
        boolean exactlyOnce = conf.get(ServingOptions.RESPONSES_DELIVERY) == ServingOptions.Delivery.EXACTLY_ONCE;
        var responses = KafkaSink.<ResponseEvent>builder()
                .setBootstrapServers(servers)
                .setRecordSerializer(new JsonRecordSerializer<ResponseEvent>(conf.get(ServingOptions.RESPONSES_TOPIC),
                        conf.get(ServingOptions.REPLIES_TOPIC), ResponseEvent::conversationId, ResponseJson::toJson,
                        ResponseEvent::replyPartition))
                .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix("sluice-" + conf.get(ServingOptions.KAFKA_GROUP_ID) + "-responses")
                // Longer than a checkpoint interval plus a recovery, shorter than the broker's max.
                .setProperty("transaction.timeout.ms", "600000")
                .setProperty("linger.ms", "0");
        kafka.forEach(responses::setProperty);
        var rejected = KafkaSink.<Rejection>builder()
                .setBootstrapServers(servers)
                .setRecordSerializer(new JsonRecordSerializer<Rejection>(conf.get(ServingOptions.REJECTED_TOPIC),
                        conf.get(ServingOptions.REPLIES_TOPIC), Rejection::conversationId, RejectionJson::toJson,
                        Rejection::replyPartition))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setProperty("linger.ms", "0");
        kafka.forEach(rejected::setProperty);
        // The loop that settles token budgets: exactly once both ways, so that a settlement is read
        // back once its turn's checkpoint is complete, and never from a failed attempt.
        KafkaSource<Settlement> usageIn = readCommitted(conf, kafka, conf.get(ServingOptions.USAGE_TOPIC), "-usage",
                new SettlementDeserializer());
        var usageOut = KafkaSink.<Settlement>builder()
                .setBootstrapServers(servers)
                .setRecordSerializer(new JsonRecordSerializer<Settlement>(conf.get(ServingOptions.USAGE_TOPIC),
                        Settlement::tenantId, SettlementJson::toJson))
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix("sluice-" + conf.get(ServingOptions.KAFKA_GROUP_ID) + "-usage")
                .setProperty("transaction.timeout.ms", "600000")
                .setProperty("linger.ms", "0");
        kafka.forEach(usageOut::setProperty);
        ServingJob job = new ServingJob(Settings.from(conf), source, responses.build(), rejected.build(),
                new AuditWriterOperatorFactory(new AuditWriterOperator.Settings(auditConnection(conf),
                        conf.get(ServingOptions.AUDIT_SCHEMA), conf.get(ServingOptions.AUDIT_MAX_BACKLOG_ROWS),
                        conf.get(ServingOptions.AUDIT_MAX_BACKLOG_BYTES))), usageIn, usageOut.build());
        String limitsTopic = conf.get(ServingOptions.TENANT_LIMITS_TOPIC);
        if (!limitsTopic.isBlank()) {
            // Every update from the first: a tenant's history is complete however late the job starts.
            job.withLimitsUpdates(readCommitted(conf, kafka, limitsTopic, "-limits", new LimitsUpdateDeserializer()));
        }
        Map<String, String> shown = new TreeMap<>();
        conf.toMap().forEach((key, value) -> {
            if (key.startsWith("sluice.")) {
                shown.put(key, value);
            }
        });
        job.shownSettings = shown;
        return job;
    }

    /**
     * The job's Sluice settings as Flink's web UI and REST API show them (the job's user
     * configuration). Safe to show: no setting holds a secret ({@link ServingOptions#refuseSecrets}).
     */
    static final class ShownSettings extends org.apache.flink.api.common.ExecutionConfig.GlobalJobParameters {
        private static final long serialVersionUID = 1L;
        private final TreeMap<String, String> settings;

        ShownSettings(Map<String, String> settings) {
            this.settings = new TreeMap<>(settings);
        }

        @Override
        public Map<String, String> toMap() {
            return java.util.Collections.unmodifiableMap(settings);
        }
    }

    /** Where the audit trail is; the password is read where a connection opens, never carried. */
    public static AuditConnection auditConnection(ReadableConfig conf) {
        ServingOptions.refuseSecrets(conf);
        String passwordFile = conf.get(ServingOptions.AUDIT_PASSWORD_FILE);
        return new AuditConnection(conf.getOptional(ServingOptions.AUDIT_JDBC_URL).orElseThrow(
                () -> new IllegalArgumentException(ServingOptions.AUDIT_JDBC_URL.key() + " is required")),
                conf.get(ServingOptions.AUDIT_USER), passwordFile.isBlank() ? null : passwordFile,
                conf.get(ServingOptions.AUDIT_SOCKET_TIMEOUT));
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Refuses to restore with the changelog state backend without claiming the snapshot. Flink would
     * accept the job and then fail it at its first checkpoint, and at every restart after (the
     * backend cannot take the full checkpoint that leaves the snapshot alone); a clear error at
     * submission is better. {@code flink run -s} restores without claiming unless given
     * {@code --claimMode claim}, whatever the configuration says.
     */
    static void refuseUnclaimedChangelogRestore(ReadableConfig conf) {
        if (conf.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)
                && conf.getOptional(StateRecoveryOptions.SAVEPOINT_PATH).isPresent()
                && conf.get(StateRecoveryOptions.RESTORE_MODE) != RecoveryClaimMode.CLAIM) {
            throw new IllegalArgumentException("The changelog state backend (state.changelog.enabled) restores "
                    + "only by claiming the snapshot, and " + conf.get(StateRecoveryOptions.SAVEPOINT_PATH)
                    + " would be restored in " + conf.get(StateRecoveryOptions.RESTORE_MODE) + " mode. Restore with "
                    + "`flink run -s <path> --claimMode claim` (or execution.state-recovery.claim-mode: CLAIM), "
                    + "which lets the job delete the snapshot once newer checkpoints replace it: copy it first to "
                    + "keep it. Or set state.changelog.enabled: false.");
        }
    }

    /** Adds the dataflow to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        if (!env.getCheckpointConfig().isCheckpointingEnabled()) {
            throw new IllegalStateException("The serving job needs checkpointing: audit rows and "
                    + "exactly-once responses are committed on checkpoints. Set "
                    + "execution.checkpointing.interval (flink-conf/config.yaml sets it).");
        }
        refuseUnclaimedChangelogRestore(env.getConfiguration());
        Configuration noKryo = new Configuration();
        noKryo.set(PipelineOptions.GENERIC_TYPES, false);
        env.configure(noKryo);
        if (!shownSettings.isEmpty()) {
            env.getConfig().setGlobalJobParameters(new ShownSettings(shownSettings));
        }

        AnswerPath path = answerPath(settings, env
                .fromSource(requests, WatermarkStrategy.noWatermarks(), "chat.requests")
                .uid(UID_SOURCE), null, env.fromSource(usageIn, WatermarkStrategy.noWatermarks(), "chat.usage (in)")
                .uid(UID_USAGE_IN), limitsIn == null ? null
                        : env.fromSource(limitsIn, WatermarkStrategy.noWatermarks(), "chat.tenant-limits")
                                .uid(UID_LIMITS_IN), null);
        path.events().sinkTo(responses).uid(UID_RESPONSES).name("chat.responses");
        path.settlements().sinkTo(usageOut).uid(UID_USAGE_OUT).name("chat.usage");
        path.answers().transform("audit", Types.VOID, audit).uid(UID_AUDIT).name("audit");
        path.rejected().sinkTo(rejected).uid(UID_REJECTED).name("chat.rejected");
    }

    /** The operators between the requests and the sinks: what serving and replay share. */
    public record AnswerPath(DataStream<ResponseEvent> events, DataStream<AnsweredTurn> answers,
            DataStream<Rejection> rejected, DataStream<Settlement> settlements) {}

    /**
     * validate → keyBy(tenantId) → admission → [select] → keyBy(tenantId, conversationId) → embed →
     * retrieve → conversation (chained: still keyed by (tenantId, conversationId)) →
     * answers, with the serving job's uids, so a savepoint of one restores into the other.
     * {@code select} (replay's conversation or tenant filter) may be null. Every stage's rejections
     * leave through {@link AnswerPath#rejected}. {@code usage} are the settlements read back for the
     * admission stage; null (replay) leaves token budgets and in-flight bounds unenforced. {@code limits}
     * are new versions of tenants' limits (null: none come). Replay passes neither, and holds requests
     * to the limits its savepoint restored (updates received before it) and the tenants file's;
     * instead of settlements it passes {@code answeredLive}, the positions of the requests the live
     * run answered (its audit trail), from which it takes the budget decisions (null: serving).
     */
    public static AnswerPath answerPath(Settings settings, DataStream<RequestEnvelope> requests,
            org.apache.flink.api.common.functions.FilterFunction<ChatRequest> select, DataStream<Settlement> usage,
            DataStream<LimitsUpdate> limits, java.util.Map<String, Integer> answeredLive) {
        SingleOutputStreamOperator<ChatRequest> valid = requests
                .process(new ValidateFunction(settings.tenants(), settings.answerModels(), settings.maxRequestBytes(),
                        settings.signing()))
                .returns(ChatRequest.TYPE)
                .uid(UID_VALIDATE).name("validate");

        // Keyed by tenant: one writer per tenant's limits. Replay's selection comes after it, so the
        // restored limits see every request of the tenant, as the live run's did.
        // Without settlements (replay) the second input is empty: derived from the requests, so that no
        // extra source has to exist or finish.
        DataStream<AdmissionEvent> admissionEvents = usage == null ? null : usage
                .map((Settlement s) -> AdmissionEvent.of(s)).returns(AdmissionEvent.TYPE).uid("usage-events")
                .name("settlements");
        if (limits != null) {
            DataStream<AdmissionEvent> updates = limits.map((LimitsUpdate u) -> AdmissionEvent.of(u))
                    .returns(AdmissionEvent.TYPE).uid("limits-events").name("limits updates");
            admissionEvents = admissionEvents == null ? updates : admissionEvents.union(updates);
        }
        if (admissionEvents == null) {
            admissionEvents = requests.flatMap((RequestEnvelope e, Collector<AdmissionEvent> none) -> { })
                    .returns(AdmissionEvent.TYPE).uid("no-usage").name("no usage");
        }
        // Replay (no settlements) reads the limits updates its savepoint holds; serving, if it reads them.
        boolean liveLimits = limits != null || usage == null;
        AdmissionFunction admission = new AdmissionFunction(settings.tenants(), settings.answerModels(), usage != null,
                liveLimits);
        SingleOutputStreamOperator<ChatRequest> admitted = valid
                .connect(admissionEvents)
                .keyBy((ChatRequest r) -> AdmissionFunction.key(r), (AdmissionEvent e) -> AdmissionFunction.key(e),
                        Types.STRING)
                .process(answeredLive == null ? admission : admission.withBudgetsFromJournal(answeredLive))
                .returns(ChatRequest.TYPE)
                .uid(UID_ADMISSION).name("admission");

        // Spread by conversation again (one tenant's requests would otherwise all be embedded by the
        // subtask that admits them); a conversation's requests keep one path, so they stay in order.
        DataStream<ChatRequest> selected = (select == null ? admitted : admitted.filter(select).name("select"))
                .keyBy(ChatRequest::conversationKey, Types.STRING);
        SingleOutputStreamOperator<EmbeddedRequest> embedded = MicroBatchOperator.apply(selected,
                        UID_EMBED, EmbeddedRequest.TYPE,
                        new QuestionEmbedder(settings.embed()),
                        settings.embed().maxBatchSize(), settings.embed().maxWait(),
                        settings.embed().concurrentCalls(), (RecordRejector<ChatRequest>) QuestionEmbedder::reject)
                .uid(UID_EMBED);

        SingleOutputStreamOperator<RetrievedRequest> retrieved = embedded
                .process(new RetrieveFunction(settings.indexDir(),
                        settings.followPromotions() ? null : settings.snapshotId(),
                        EmbeddingModels.card(settings.embed().model()).qualifiedId(), settings.candidates(),
                        settings.search()))
                .returns(RetrievedRequest.TYPE)
                .uid(UID_RETRIEVE).name("retrieve");
        if (settings.embedOwnTask()) {
            // The embed task's thread takes questions in and hands the model's results on; chained,
            // it would also search and answer each result, and meanwhile new questions and finished
            // batches wait for it (docs/BENCHMARKS.md, "Where the overhead goes").
            retrieved.startNewChain();
        }

        // Conversation ids are the clients' own: only with the tenant do they name one conversation.
        // The requests were keyed by that key before embed, and embed and retrieve run forward at the
        // same parallelism, so every request is already on the subtask that owns its conversation:
        // a second keyBy would only serialize each request with its retrieved sources and ship it to
        // the same subtask. Reinterpreted, conversation is chained to retrieve.
        SingleOutputStreamOperator<ResponseEvent> events = DataStreamUtils.reinterpretAsKeyedStream(retrieved,
                        r -> r.request().conversationKey(), Types.STRING)
                .transform("conversation", ResponseEvent.TYPE, new ConversationOperatorFactory(settings.conversation()))
                .uid(UID_CONVERSATION).name("conversation");

        DataStream<AnsweredTurn> answers = events.flatMap((ResponseEvent e, Collector<AnsweredTurn> out) -> {
                    if (e.isAnswer()) {
                        out.collect(e.answer());
                    }
                })
                .returns(AnsweredTurn.TYPE)
                .uid(UID_ANSWERS).name("answers");
        DataStream<Rejection> later = embedded.getSideOutput(Rejections.TAG)
                .union(retrieved.getSideOutput(Rejections.TAG), events.getSideOutput(Rejections.TAG));
        DataStream<Rejection> rejected = valid.getSideOutput(Rejections.TAG)
                .union(admitted.getSideOutput(Rejections.TAG), later);
        // Every admitted request ends answered or refused by a later stage: both settle its reservation.
        DataStream<Settlement> settlements = answers
                .flatMap(SettleFunction.ofAnswers(settings.tenants(), settings.answerModels(), liveLimits))
                .returns(Settlement.TYPE).uid(UID_SETTLE_ANSWERS).name("settle answers")
                .union(later.flatMap(SettleFunction.ofRejections(settings.tenants(), settings.answerModels(), liveLimits))
                        .returns(Settlement.TYPE).uid(UID_SETTLE_REJECTIONS).name("settle rejections"));
        return new AnswerPath(events, answers, rejected, settlements);
    }
}
