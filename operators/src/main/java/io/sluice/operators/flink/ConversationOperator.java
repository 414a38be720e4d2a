package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.model.SharedModels;
import io.sluice.model.chat.BreakingChatModel;
import io.sluice.model.chat.ChatModel;
import io.sluice.model.chat.CircuitBreaker;
import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationException;
import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.GenerationRequest;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.ChatModelSpec;
import io.sluice.operators.answer.ExtractiveAnswerer;
import io.sluice.operators.answer.GenerativePrompt;
import io.sluice.operators.answer.ModelProfile;
import io.sluice.operators.cache.RedisCache;
import io.sluice.operators.cache.ResponseCache;
import io.sluice.operators.context.ContextCompiler;
import io.sluice.operators.conversation.DuplicateWindow;
import io.sluice.operators.conversation.EntryList;
import io.sluice.operators.conversation.GenerationSlots;
import io.sluice.operators.conversation.GenerativeTurn;
import io.sluice.operators.conversation.ParkedTurns;
import io.sluice.operators.conversation.SharedAnswers;
import io.sluice.operators.conversation.StreamedText;
import io.sluice.operators.conversation.TurnProcessor;
import io.sluice.operators.conversation.TurnProcessor.PreparedTurn;
import io.sluice.operators.conversation.TurnPlanner;
import io.sluice.operators.conversation.TurnQueue;
import io.sluice.operators.cost.PriceTable;
import io.sluice.operators.failure.RecordFailures;
import io.sluice.operators.retrieve.IndexFields;
import io.sluice.operators.routing.DegradationLadder;
import io.sluice.operators.trace.Tracing;
import io.sluice.operators.trace.TracingOptions;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.Rejection;
import io.sluice.schemas.ResponseEvent;
import io.sluice.schemas.RetrievedRequest;
import io.sluice.schemas.RoutingDecision;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Collectors;

/**
 * The {@code conversation} stage, keyed by (tenantId, conversationId) as
 * {@link ChatRequest#conversationKey()}: compiles each turn's context from the conversation's recent
 * turns, answers it with the request's answer model, appends the turn to the history in keyed state
 * and emits {@link ResponseEvent}s: streamed pieces, then the answer. Which request waits, which is
 * a duplicate and which comes next is {@link TurnQueue}'s decision, with the request ids of the
 * {@link DuplicateWindow}; a generative turn's course across models is {@link GenerativeTurn}'s. This
 * operator carries the decisions out with the keyed state ({@link ConversationState}), the mailbox,
 * the metrics and the spans.
 *
 * <p><b>Turn order with asynchronous answers.</b> A generative model answers over the network or on
 * another thread, yet a conversation's next turn must see the previous answer in its history. So a
 * conversation has at most one turn being answered: turns that arrive meanwhile wait in keyed state
 * ({@code pending}, head first) and the next one starts, with the updated history, in the mailbox
 * action that completes the previous. Other conversations are not held up. Model calls never block
 * {@code processElement}: tokens and results come back as mailbox actions on the task thread, as in
 * Flink's async I/O operator. Each backend (a model server, or an in-process model; profiles on one
 * share it) runs at most {@code maxInFlight} generations of a subtask at once
 * ({@link GenerationSlots}); a turn whose backend has none free is parked (it stays the head of its
 * conversation's {@code pending} list) and starts when one of that backend's generations ends, higher
 * priority lanes (tenant tiers and request priority, {@link ParkedTurns}) first. An overloaded backend
 * refuses further turns as {@code OVERLOADED} instead of making input wait: extractive turns and
 * turns of other backends go on while one is slow or hung (its breaker and timeouts bound how long).
 * Replay, whose journal answers at once and which must refuse nothing the live job answered, makes
 * input wait instead. Turns that ask for the same cached answer meanwhile wait for the first one's
 * ({@link SharedAnswers}).
 *
 * <p><b>Checkpoints.</b> Every state change happens on the task thread, so a checkpoint holds each
 * conversation's history and its unanswered turns, and nothing else is needed: on restore the head
 * of every non-empty {@code pending} list is asked again. Its pieces may then reach
 * {@code chat.responses} twice with the same sequence numbers; readers drop repeats.
 *
 * <p><b>Requests that bring their history.</b> A request without a conversation id carries its
 * earlier turns ({@link ChatRequest#historyFromClient()}) and is keyed by its own record
 * ({@link ChatRequest#clientConversationId}). Its turn is answered from that history and then leaves
 * nothing in keyed state: no history, no request id in the duplicate window (a record is read once
 * per checkpoint epoch, and a resent request is a new turn, as in OpenAI's API), and an audit chain
 * of its own turn alone. A generative turn sits in {@code pending} while it is answered, as every
 * turn does, so that a restore asks again.
 *
 * <p>History is kept one turn per entry ({@link EntryList}), so a turn writes itself and removes the
 * turn it pushes out, not the whole history. It expires turn by turn, by event time: a turn said
 * more than {@code historyTtl} before a request (in Kafka record time) is not in that request's
 * history, whenever and however often it is processed; a request after an idle {@code historyTtl}
 * starts with an empty one. Flink's state TTL, set to the same duration on each entry, only frees
 * the storage of such turns; it is processing-time based, so replay runs with it off.
 *
 * <p><b>Failures.</b> A failure caused by the turn (see {@link RecordFailures}) rejects that turn as
 * {@code STAGE_FAILED}, forgets its request id and moves on to the conversation's next turn; a
 * failure of the environment fails the job over. Generative answers are cut at
 * {@link Bounds#MAX_ANSWER_CHARS} (finish reason {@code length}), streamed pieces with them.
 */
public final class ConversationOperator extends AbstractStreamOperator<ResponseEvent>
        implements OneInputStreamOperator<RetrievedRequest, ResponseEvent>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    public static final String STAGE = "conversation";

    /** The span of one model call of a turn (each attempt of a failover has its own), a child of the turn's. */
    public static final String MODEL_SPAN = "model";

    /**
     * What a replay takes from the audit trail instead of deciding it live, each by the position of a
     * turn's request: the profiles routing passed over because their breaker was open, the
     * response-cache hits (served from here), and the degradations (the backlog each was decided on
     * and how long the turn had waited). Empty maps: a replay with nothing journaled.
     */
    public record ReplayJournal(TreeMap<String, TreeSet<String>> openBreakers,
            TreeMap<String, ResponseCache.Cached> responses,
            TreeMap<String, RoutingDecision.Degradation> degradations) implements Serializable {

        static final ReplayJournal EMPTY = new ReplayJournal(null, null, null);

        public ReplayJournal {
            openBreakers = openBreakers == null ? new TreeMap<>() : new TreeMap<>(openBreakers);
            responses = responses == null ? new TreeMap<>() : new TreeMap<>(responses);
            degradations = degradations == null ? new TreeMap<>() : new TreeMap<>(degradations);
        }
    }

    /**
     * What the stage is configured with.
     *
     * @param maxTurns recent turns the history keeps
     * @param historyTtl how long a turn stays in its conversation's history (event time); zero keeps it
     * @param embeddingModel the model whose tokenizer counts context tokens
     * @param answerModels the answer models requests may name
     * @param maxInFlight generations one subtask runs at once, per answer model
     * @param maxPendingTurns turns of one conversation that may wait behind the one being answered
     * @param duplicateWindowIds request ids per conversation the duplicate window holds at most
     * @param duplicateWindow how far back, in event time, a repeated request id is a duplicate
     * @param journal null when serving; in a replay, what it takes from the audit trail. A replay's
     *     Flink state TTL, which counts processing time, never expires history (event-time expiry
     *     still applies), so old savepoints replay as they ran
     * @param prices what turns cost; null: no cost
     * @param unredactedTenants tenants whose answers keep personal data (pii: allow)
     * @param flagOnlyTenants tenants whose sources flagged as prompt injection stay in the context
     *     (promptInjection: flag); every other tenant's are left out
     * @param tenants the tenants' tiers and residencies, for routing; null: every tenant of the
     *     default tier, without residency
     * @param responseCache where answers are cached; null: no cache
     * @param lanes tenant tiers whose waiting turns start first, in this order
     * @param ladder how generative turns degrade under load
     */
    public record Settings(
            int maxTurns,
            Duration historyTtl,
            String embeddingModel,
            AnswerModels answerModels,
            int maxInFlight,
            int maxPendingTurns,
            int duplicateWindowIds,
            Duration duplicateWindow,
            ReplayJournal journal,
            PriceTable prices,
            TreeSet<String> unredactedTenants,
            TreeSet<String> flagOnlyTenants,
            TenantRegistry tenants,
            ResponseCache.Settings responseCache,
            ArrayList<String> lanes,
            DegradationLadder ladder) implements Serializable {

        /** The defaults of {@code sluice.conversation.duplicate-window-ids} and {@code duplicate-window}. */
        public static final int DEFAULT_WINDOW_IDS = 256;
        public static final Duration DEFAULT_WINDOW = Duration.ofDays(1);

        public Settings {
            unredactedTenants = unredactedTenants == null ? new TreeSet<>() : new TreeSet<>(unredactedTenants);
            flagOnlyTenants = flagOnlyTenants == null ? new TreeSet<>() : new TreeSet<>(flagOnlyTenants);
            lanes = lanes == null ? new ArrayList<>() : new ArrayList<>(lanes);
            ladder = ladder == null ? DegradationLadder.OFF : ladder;
            if (maxTurns < 1 || maxInFlight < 1 || maxPendingTurns < 1 || duplicateWindowIds < 1) {
                throw new IllegalArgumentException(
                        "max turns, max in-flight, max pending turns and duplicate window ids must be positive");
            }
        }

        /** Without a price table: turns carry no cost. {@code replay}: a replay with nothing journaled. */
        public Settings(int maxTurns, Duration historyTtl, String embeddingModel, AnswerModels answerModels,
                int maxInFlight, int maxPendingTurns, int duplicateWindowIds, Duration duplicateWindow, boolean replay) {
            this(maxTurns, historyTtl, embeddingModel, answerModels, maxInFlight, maxPendingTurns, duplicateWindowIds,
                    duplicateWindow, replay ? ReplayJournal.EMPTY : null, null, null, null, null, null, null, null);
        }

        /** With the default duplicate window. */
        public Settings(int maxTurns, Duration historyTtl, String embeddingModel, AnswerModels answerModels,
                int maxInFlight, int maxPendingTurns, boolean replay) {
            this(maxTurns, historyTtl, embeddingModel, answerModels, maxInFlight, maxPendingTurns, DEFAULT_WINDOW_IDS,
                    DEFAULT_WINDOW, replay);
        }

        /** The extractive answerer only, with the default limits. */
        public static Settings extractive(int maxTurns, Duration historyTtl, String embeddingModel) {
            return new Settings(maxTurns, historyTtl, embeddingModel, AnswerModels.extractiveOnly(), 64, 16, false);
        }

        /** Whether this is a replay. */
        public boolean replay() {
            return journal != null;
        }

        /** How long Flink keeps idle history in storage. Changing it keeps savepoints compatible. */
        Duration stateTtl() {
            return replay() ? Duration.ofDays(365L * 100) : historyTtl;
        }

        /** These settings, with the answers of {@code tenants} left unredacted (their policy allows it). */
        public Settings withUnredactedTenants(java.util.Collection<String> tenants) {
            return copy(c -> c.unredactedTenants = new TreeSet<>(tenants));
        }

        /** These settings, with the sources of {@code tenants} flagged as prompt injection kept in the context. */
        public Settings withFlagOnlyTenants(java.util.Collection<String> tenants) {
            return copy(c -> c.flagOnlyTenants = new TreeSet<>(tenants));
        }

        /** These settings, with turns priced by {@code table} (null: no cost). */
        public Settings withPrices(PriceTable table) {
            return copy(c -> c.prices = table);
        }

        /**
         * These settings, with routing told the tenants' tiers and residencies (without them every
         * tenant is of the default tier, without residency).
         */
        public Settings withTenants(TenantRegistry registry) {
            return copy(c -> c.tenants = registry);
        }

        /**
         * These settings, with turns waiting for a model slot started by priority lane: the tenant
         * tiers in {@code tiers} first, in that order, then every other tier.
         */
        public Settings withLanes(java.util.Collection<String> tiers) {
            return copy(c -> c.lanes = new ArrayList<>(tiers));
        }

        /** These settings, with answers of tenants that allow it cached in the Redis of {@code cache}. */
        public Settings withResponseCache(ResponseCache.Settings cache) {
            return copy(c -> c.responseCache = cache);
        }

        /** These settings, with generative turns degraded under load by {@code steps}. */
        public Settings withDegradation(DegradationLadder steps) {
            return copy(c -> c.ladder = steps);
        }

        /**
         * These settings for replay, with {@code models} answering and the audit trail's journal (see
         * {@link ReplayJournal}), each by the position of a turn's request.
         */
        public Settings forReplay(AnswerModels models, Map<String, ? extends java.util.Collection<String>> openBreakers,
                Map<String, ResponseCache.Cached> cacheHits, Map<String, RoutingDecision.Degradation> degradations) {
            TreeMap<String, TreeSet<String>> open = new TreeMap<>();
            openBreakers.forEach((position, profiles) -> open.put(position, new TreeSet<>(profiles)));
            return copy(c -> {
                c.answerModels = models;
                c.journal = new ReplayJournal(open, new TreeMap<>(cacheHits), new TreeMap<>(degradations));
            });
        }

        private Settings copy(java.util.function.Consumer<Copy> change) {
            Copy c = new Copy(this);
            change.accept(c);
            return c.settings();
        }

        /** The settings' values, to change some of them: one place lists every component, not every wither. */
        private static final class Copy {
            private final Settings from;
            AnswerModels answerModels;
            ReplayJournal journal;
            PriceTable prices;
            TreeSet<String> unredactedTenants;
            TreeSet<String> flagOnlyTenants;
            TenantRegistry tenants;
            ResponseCache.Settings responseCache;
            ArrayList<String> lanes;
            DegradationLadder ladder;

            Copy(Settings from) {
                this.from = from;
                answerModels = from.answerModels;
                journal = from.journal;
                prices = from.prices;
                unredactedTenants = from.unredactedTenants;
                flagOnlyTenants = from.flagOnlyTenants;
                tenants = from.tenants;
                responseCache = from.responseCache;
                lanes = from.lanes;
                ladder = from.ladder;
            }

            Settings settings() {
                return new Settings(from.maxTurns, from.historyTtl, from.embeddingModel, answerModels, from.maxInFlight,
                        from.maxPendingTurns, from.duplicateWindowIds, from.duplicateWindow, journal, prices,
                        unredactedTenants, flagOnlyTenants, tenants, responseCache, lanes, ladder);
            }
        }
    }

    private final Settings settings;
    private final transient MailboxExecutor mailbox;

    private transient ConversationState state;
    private transient HfTokenizer tokenizer;
    private transient TurnProcessor processor;
    private transient TurnQueue turns;
    private transient GenerationSlots slots;
    private transient TurnPlanner planner;
    /** Open generative models by their spec's sharing key (profiles of several policy versions may share one). */
    private transient Map<String, SharedModels.Lease<ChatModel>> chatModels;
    /** Profiles whose breaker has gauges already. */
    private transient java.util.Set<String> breakerGauges;
    /** Response-cache keys whose answer a turn of this subtask is computing, with the turns waiting for it. */
    private transient SharedAnswers<GenerativeTurn> shared;
    /** Where answers are cached: Redis when serving, the journal when replaying; null without a cache. */
    private transient ResponseCache.Store responses;
    private transient SharedModels.Lease<RedisCache> redis;
    private transient org.apache.flink.metrics.MetricGroup group;
    /** Whether a timer will look for turns parked past the queueing-delay budget. */
    private transient boolean delayWatch;
    private transient boolean closed;
    private transient StageMetrics metrics;
    private transient Counter pieces;
    private transient Counter droppedMarkers;
    private transient Counter ungrounded;
    private transient Counter routedPast;
    private transient Counter noModel;
    private transient Counter failedOver;
    private transient Counter degraded;
    private transient CostMetrics costs;
    private transient Tracing tracing;
    /** The span of each turn being answered here, by position: from its arrival to its answer. */
    private transient Map<String, Tracing.StageSpan> turnSpans;

    ConversationOperator(StreamOperatorParameters<ResponseEvent> parameters, Settings settings, MailboxExecutor mailbox) {
        super(parameters);
        this.settings = settings;
        this.mailbox = mailbox;
    }

    @Override
    public void open() throws Exception {
        super.open();
        state = new ConversationState(getRuntimeContext(), settings);
        refuseStateKeyedByConversationAlone();
        turns = new TurnQueue(settings.maxPendingTurns());
        tokenizer = EmbeddingModels.tokenizer(settings.embeddingModel());
        processor = new TurnProcessor(new ContextCompiler(tokenizer,
                EmbeddingModels.card(settings.embeddingModel()).qualifiedId()),
                new ExtractiveAnswerer(IndexFields.analyzer(), 3, 0.3), settings.prices(), settings.unredactedTenants(),
                settings.flagOnlyTenants());
        chatModels = new HashMap<>();
        slots = new GenerationSlots(settings.maxInFlight(), settings.lanes());
        planner = new TurnPlanner(slots, settings.ladder(),
                settings.replay() ? settings.journal().degradations() : null, settings.tenants());
        breakerGauges = new java.util.HashSet<>();
        shared = new SharedAnswers<>();
        metrics = new StageMetrics(getMetricGroup(), STAGE);
        group = getMetricGroup().addGroup("sluice").addGroup("conversation");
        group.gauge("in_flight", () -> slots.running());
        group.gauge("parked_turns", () -> slots.parked());
        // How long the turn parked longest has waited for a slot: the subtask's queueing delay.
        group.gauge("queue_delay_seconds", () -> {
            long oldest = slots.oldestParked();
            return oldest == Long.MAX_VALUE ? 0.0 : (now() - oldest) / 1000.0;
        });
        pieces = group.counter("pieces");
        droppedMarkers = group.counter("dropped_markers");
        ungrounded = group.counter("ungrounded_answers");
        var routing = group.addGroup("routing");
        routedPast = routing.counter("passed_over"); // answered turns whose first candidate could not take them
        noModel = routing.counter("no_model_available");
        failedOver = routing.counter("failovers"); // a profile failed while answering and another took over
        degraded = routing.counter("degraded"); // turns answered with a step of the degradation ladder, or refused by it
        costs = new CostMetrics(group);
        tracing = Tracing.open(TracingOptions.settings(getExecutionConfig().getGlobalJobParameters().toMap()));
        turnSpans = new HashMap<>();
        // Replay consults the cache where the live job did, and is answered by the journal.
        boolean cached = settings.responseCache() != null && settings.responseCache().enabled();
        if (cached && settings.replay()) {
            responses = ResponseCache.journal(settings.journal().responses());
        } else if (cached) {
            ResponseCache.Settings cache = settings.responseCache();
            redis = SharedModels.acquire("redis|" + cache.redisUri(), () -> new RedisCache(cache.redisUri(),
                    cache.timeout()));
            ResponseCache.Redis store = new ResponseCache.Redis(redis.get());
            store.stats().register(group.addGroup("response_cache"));
            responses = store;
        }
        // Every model of the versions known now opens here; a later version's new ones on first use.
        for (AnswerModels models : settings.answerModels().known()) {
            models.generativeModels().forEach(this::model);
        }
        resumeUnansweredTurns();
    }

    /** The open model of profile {@code name}, opened by {@code spec} if it is not yet. */
    private ChatModel model(String name, ChatModelSpec spec) {
        ChatModel model = chatModels.computeIfAbsent(spec.sharingKey(),
                key -> SharedModels.acquire(key, spec::open)).get();
        if (model instanceof BreakingChatModel breaking && breakerGauges.add(name)) {
            // The breaker is the TaskManager's (the model is shared there): every subtask shows it.
            CircuitBreaker breaker = breaking.breaker();
            var b = group.addGroup("breaker", name);
            b.gauge("state", () -> breaker.state().ordinal());
            b.gauge("opened", breaker::timesOpened);
        }
        return model;
    }

    /** The answer models in force for {@code request}: those of the policy version at its event time. */
    private AnswerModels models(ChatRequest request) {
        return settings.answerModels().at(request.eventTime());
    }

    /**
     * Builds before tenant-scoped keys kept conversation state under the conversationId alone, where
     * two tenants using one id shared a history and an audit chain. Such state cannot be split by
     * tenant (histories do not record it) and cannot be re-keyed in place (new keys fall into other
     * key groups), so a job restored from it stops at once, without restarts, and says what to do.
     */
    private void refuseStateKeyedByConversationAlone() throws Exception {
        for (String state : ConversationState.KEYED_BY_CONVERSATION) {
            try (var keys = getKeyedStateBackend().getKeys(state, VoidNamespace.INSTANCE)) {
                Object first = keys.findFirst().orElse(null);
                if (first != null && first.toString().indexOf(ChatRequest.KEY_SEPARATOR) < 0) {
                    throw new SuppressRestartsException(new IllegalStateException("The restored state of stage '"
                            + STAGE + "' keys conversations by conversationId alone (written by a Sluice build before "
                            + "tenant-scoped keys); it cannot be split by tenant. Start the job without this "
                            + "checkpoint or savepoint (conversations start with empty history; the audit trail "
                            + "keeps every earlier turn), or finish its conversations with the build that wrote it."));
                }
            }
        }
    }

    /** After a restore: asks again for the answer of every conversation's oldest unanswered turn. */
    private void resumeUnansweredTurns() throws Exception {
        List<Object> keys;
        try (var stream = getKeyedStateBackend().getKeys(ConversationState.PENDING_STATE, VoidNamespace.INSTANCE)) {
            keys = stream.collect(Collectors.toList());
        }
        for (Object key : keys) {
            setCurrentKey(key);
            List<RetrievedRequest> queue = state.pending();
            if (!queue.isEmpty()) {
                start(queue.get(0), state.history(queue.get(0).request()));
            }
        }
    }

    @Override
    public void processElement(StreamRecord<RetrievedRequest> element) throws Exception {
        RetrievedRequest retrieved = element.getValue();
        ChatRequest request = retrieved.request();
        if (tracing.enabled()) {
            turnSpan(request); // from its arrival: waiting for earlier turns and for a slot included
        }
        List<RetrievedRequest> queue = state.pending();
        ConversationHistory current = state.history(request);
        TurnQueue.Admission admission = turns.admit(request, queue, current,
                state.isDuplicate(request));
        switch (admission.decision()) {
            case DUPLICATE -> reject(request, RejectReason.DUPLICATE_REQUEST, admission.detail());
            case BUSY -> reject(request, RejectReason.CONVERSATION_BUSY, admission.detail());
            case WAIT -> {
                state.remember(request);
                state.addPending(retrieved); // answered when the turns before it are
            }
            case ANSWER -> {
                state.remember(request);
                // Unknown models and turns no profile can take are refused where the queue is handled (start).
                AnswerModels models = models(request);
                RoutingDecision routing = models.contains(request.answerModel())
                        ? planner.route(models, request, breakerOpen(request)) : null;
                if (routing != null && routing.profile() != null
                        && !models.profile(routing.profile()).orElseThrow().generative()) {
                    answerLocally(retrieved, current, routing);
                    return;
                }
                if (settings.replay()) {
                    // Replay's models answer from the journal at once and no turn may be refused that was
                    // answered live, so there input waits for the parked turns instead (see start).
                    Object key = getCurrentKey();
                    while (slots.full()) {
                        mailbox.yield(); // completions run here and may switch the key
                    }
                    setCurrentKey(key);
                }
                state.addPending(retrieved);
                start(retrieved, current); // or parked until the model has a generation free
            }
        }
    }

    private Tenant tenantOf(ChatRequest request) {
        return planner.tenantOf(request);
    }

    /** Whether a profile's breaker is open for {@code request}: on this TaskManager, or as journaled. */
    private java.util.function.Predicate<String> breakerOpen(ChatRequest request) {
        TreeSet<String> journaled = !settings.replay() ? null
                : settings.journal().openBreakers().getOrDefault(request.position(), new TreeSet<>());
        return profile -> {
            if (journaled != null) {
                return journaled.contains(profile);
            }
            ChatModelSpec spec = models(request).profile(profile).map(ModelProfile::spec).orElse(null);
            SharedModels.Lease<ChatModel> lease = spec == null ? null : chatModels.get(spec.sharingKey());
            return lease != null && lease.get() instanceof BreakingChatModel breaking
                    && breaking.breaker().state() == CircuitBreaker.State.OPEN;
        };
    }

    /**
     * Counts a turn that goes ahead with a ladder step. Counted here, where it is answered, rather
     * than where the step is chosen: a turn that waits for a slot is routed and stepped again when it
     * gets one, and only the step it is answered with is its own.
     */
    private void countDegradation(RoutingDecision routing) {
        if (routing.degradation() != null) {
            degraded.inc();
        }
    }

    /** Turns counted as degraded so far (the {@code routing.degraded} counter). */
    @org.apache.flink.annotation.VisibleForTesting
    long degradedTurns() {
        return degraded.getCount();
    }

    /** The entries {@code key}'s history or duplicate window holds ({@link ConversationState#storedEntries}); for tests. */
    int storedEntries(Object key, String stateName) throws Exception {
        setCurrentKey(key);
        return state.storedEntries(stateName);
    }

    /** Answers the head of the conversation's queue; the current key is its conversation. */
    private void start(RetrievedRequest retrieved, ConversationHistory current) throws Exception {
        start(retrieved, current, 0);
    }

    /**
     * Answers the head of the conversation's queue, which has waited {@code waitedMs} for a slot
     * past the queueing-delay budget (0: it has not); the current key is its conversation.
     */
    private void start(RetrievedRequest retrieved, ConversationHistory current, long waitedMs) throws Exception {
        ChatRequest request = retrieved.request();
        TurnPlanner.Plan plan = planner.plan(models(request), request, waitedMs, breakerOpen(request));
        if (plan instanceof TurnPlanner.Refused refused) {
            if (refused.reason() == RejectReason.NO_MODEL_AVAILABLE) {
                noModel.inc();
            }
            if (refused.byLadder()) {
                degraded.inc();
            }
            unanswered(request, refused.reason(), refused.detail());
            advance(request.conversationKey());
            return;
        }
        if (plan instanceof TurnPlanner.Parked parkedTurn) {
            slots.park(parkedTurn.backend(), parkedTurn.lane(), request.conversationKey(), now());
            watchQueueDelay();
            return;
        }
        if (plan instanceof TurnPlanner.Local local) {
            countDegradation(local.routing());
            answerLocally(retrieved, current, local.routing());
            advance(request.conversationKey());
            return;
        }
        RoutingDecision routing = ((TurnPlanner.Generate) plan).routing();
        String modelName = routing.profile();
        countDegradation(routing);
        PreparedTurn turn;
        try {
            turn = processor.prepare(retrieved, current, routing);
        } catch (RuntimeException | StackOverflowError e) {
            unanswered(request, RejectReason.STAGE_FAILED, RecordFailures.describeOrRethrow(e));
            advance(request.conversationKey());
            return;
        }
        GenerativeTurn answering = new GenerativeTurn(turn, processor.answerRedactor(request),
                cacheKey(turn, modelName), System.nanoTime());
        if (!generate(answering)) {
            advance(request.conversationKey());
        }
    }

    /**
     * Asks the turn's current profile for the answer, or for its continuation after a failover.
     * False when the call could not be made (the turn is refused).
     */
    private boolean generate(GenerativeTurn a) throws Exception {
        ChatRequest request = a.request();
        // Also for a turn that waits for another's answer: its model span is that wait.
        a.attemptStarts(Tracing.nowMicros());
        if (a.asksCache() && !shared.ask(a.cacheKey(), a)) {
            return true; // answered when the turn asking first is (releaseWaiting)
        }
        String profile = a.profile();
        AnswerModels models = models(request);
        ChatModel model = model(profile, models.generative(profile).orElseThrow());
        GenerationParams params = models.params(profile, request.requestId());
        CompletableFuture<Generation> generation;
        try {
            GenerationRequest prompt = a.prompt(params);
            io.sluice.model.chat.TokenListener listener = text -> {
                StreamedText.Piece piece = a.accept(text);
                if (piece != null) {
                    toMailbox(() -> emit(ResponseEvent.piece(request, piece.sequence(), piece.text()), request),
                            "piece");
                }
            };
            if (a.asksCache()) {
                generation = responses.get(a.cacheKey(), request.position()).thenCompose(cached -> cached == null
                        ? model.generate(prompt, listener)
                        : CompletableFuture.completedFuture(a.answerFromCache(cached, listener)));
            } else {
                generation = model.generate(prompt, listener);
            }
        } catch (RuntimeException | StackOverflowError e) {
            unanswered(request, RejectReason.STAGE_FAILED, RecordFailures.describeOrRethrow(e));
            releaseWaiting(shared.done(a.cacheKey(), a), null); // they ask for their own
            return false;
        }
        String backend = TurnPlanner.backend(models, profile);
        slots.started(backend);
        // The stream delivered its last piece before completing: this runs after every piece's mail.
        generation.whenComplete((result, error) -> toMailbox(() -> {
            slots.ended(backend);
            setCurrentKey(request.conversationKey());
            generationEnded(a, profile, model.modelId(), params, result,
                    error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
            startParked(backend);
        }, "generation"));
        return true;
    }

    /**
     * A call of the turn's profile ended. When its backend failed (after its retries) and the chain
     * has another profile that can take the turn, that one continues the answer; otherwise the turn
     * ends: answered, with the text held back flushed, or refused.
     */
    private void generationEnded(GenerativeTurn a, String profile, String modelId, GenerationParams params,
            Generation result, Throwable error) throws Exception {
        ChatRequest request = a.request();
        if (tracing.enabled()) {
            Tracing.StageSpan call = tracing.child(turnSpan(request), MODEL_SPAN, a.attemptStartMicros())
                    .attribute("sluice.profile", profile).attribute("sluice.model", modelId)
                    .attribute("sluice.attempt", a.attempt());
            if (a.cacheHit() != null) {
                call.attribute("sluice.response_cache", "hit");
            }
            if (error != null) {
                call.failed(String.valueOf(error.getMessage()));
            }
            call.end();
        }
        List<GenerativeTurn> waiting = shared.done(a.cacheKey(), a);
        if (error instanceof GenerationException g && g.backendFault()) {
            RoutingDecision next = planner.failover(models(request), request, a.turn().routing(),
                    processor.failover(a.turn(), profile, modelId, a.said(), a.currentPieces()),
                    !a.said().isEmpty(), breakerOpen(request));
            if (next.profile() != null) {
                failedOver.inc();
                a.failOver(next);
                if (!models(request).profile(next.profile()).orElseThrow().generative()) {
                    // Only before any text was sent (the router passes it over after): it answers afresh.
                    answerLocally(a.turn().retrieved(), state.history(request), next);
                    advance(request.conversationKey());
                } else if (!generate(a)) {
                    advance(request.conversationKey());
                }
                releaseWaiting(waiting, null); // a failed-over answer is not the key's: they ask themselves
                return;
            }
        }
        GenerativeTurn.Ending end = a.end(error == null ? result : null);
        if (end.rest() != null) {
            emit(ResponseEvent.piece(request, end.rest().sequence(), end.rest().text()), request);
        }
        ResponseCache.Cached stored = finishGeneration(end.turn(), profile, modelId, params, end.answer(),
                a.emittedPieces(), a.currentPieces(), error, a.micros(System.nanoTime()));
        releaseWaiting(waiting, a.cacheHit() != null ? a.cacheHit() : stored);
    }

    /**
     * The turns that waited for another's answer to the same cache key: each is answered with
     * {@code answer} as a cache hit (it was reused; the audit row names the turn it came from), or,
     * without one (the first failed, or failed over), asks for its own.
     */
    private void releaseWaiting(List<GenerativeTurn> waiting, ResponseCache.Cached answer) throws Exception {
        for (GenerativeTurn w : waiting) {
            ChatRequest r = w.request();
            setCurrentKey(r.conversationKey());
            if (answer == null) {
                if (!generate(w)) {
                    advance(r.conversationKey());
                }
                continue;
            }
            Generation reused = w.reuse(answer, piece -> emit(ResponseEvent.piece(r, piece.sequence(), piece.text()), r));
            String profile = w.profile();
            AnswerModels models = models(r);
            generationEnded(w, profile, model(profile, models.generative(profile).orElseThrow()).modelId(),
                    models.params(profile, r.requestId()), reused, null);
        }
    }

    /**
     * The key {@code turn}'s answer by {@code profile} is cached under, or null when it is not cached:
     * no cache, a tenant that caches nothing, or sampling the tenant does not cache.
     */
    private String cacheKey(PreparedTurn turn, String profile) {
        ChatRequest request = turn.retrieved().request();
        Tenant tenant = tenantOf(request);
        AnswerModels models = models(request);
        GenerationParams params = models.params(profile, request.requestId());
        if (responses == null || tenant == null || !ResponseCache.cacheable(tenant.responseCache(), params)) {
            return null;
        }
        ModelProfile p = models.profile(profile).orElseThrow();
        return ResponseCache.key(request.tenantId(), profile, p.version(), model(profile, p.spec()).modelId(),
                models.policyVersion(), GenerativePrompt.VERSION, turn.retrieved().snapshotId(),
                turn.retrieved().embeddingModel(), turn.context().hash(), params);
    }

    /** The clock of queueing delays: the task's processing time (tests drive it). */
    private long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }

    /**
     * With a queueing-delay budget, makes sure a timer will look for turns parked longer than that
     * (serving only: replay takes those decisions from the journal).
     */
    private void watchQueueDelay() {
        if (delayWatch || settings.replay() || !settings.ladder().boundsQueueDelay()) {
            return;
        }
        delayWatch = true;
        long every = Math.max(10, settings.ladder().queueDelay().toMillis() / 4);
        getProcessingTimeService().registerTimer(now() + every, t -> takeOverdueTurns());
    }

    /**
     * Takes the interactive turns parked longer than the queueing-delay budget off their backend's
     * queue to a cheaper profile ({@link DegradationLadder#withQueueDelay}); a turn whose chain has
     * none keeps waiting. Runs on the task thread (a processing-time timer).
     */
    private void takeOverdueTurns() throws Exception {
        delayWatch = false;
        long now = now();
        for (ParkedTurns.Parked p : slots.parkedBy(now - settings.ladder().queueDelay().toMillis())) {
            setCurrentKey(p.key());
            List<RetrievedRequest> queue = state.pending();
            if (queue.isEmpty()) {
                continue;
            }
            ChatRequest request = queue.get(0).request();
            if (!planner.hasCheaper(models(request), request, breakerOpen(request))) {
                continue; // nothing cheaper to go to: it waits for its backend
            }
            if (slots.remove(p)) {
                start(queue.get(0), state.history(request), Math.max(1, now - p.parkedAt()));
            }
        }
        if (slots.parked() > 0) {
            watchQueueDelay();
        }
    }

    /**
     * Starts the turns parked for {@code backend}, highest lane first and oldest first within one,
     * while it has generations free.
     */
    private void startParked(String backend) throws Exception {
        String key;
        while ((key = slots.next(backend)) != null) {
            setCurrentKey(key);
            List<RetrievedRequest> queue = state.pending();
            if (!queue.isEmpty()) {
                start(queue.get(0), state.history(queue.get(0).request()));
            }
        }
    }

    /** Ends a generative turn: answered or refused; returns what it stored in the response cache (or null). */
    private ResponseCache.Cached finishGeneration(PreparedTurn turn, String profile, String modelId,
            GenerationParams params, Generation generation, int pieces, int modelPieces, Throwable error, long micros)
            throws Exception {
        ChatRequest request = turn.retrieved().request();
        ResponseCache.Cached stored = null;
        if (error != null) {
            unanswered(request, RejectReason.MODEL_FAILED, TurnProcessor.modelFailure(turn, profile, error));
        } else {
            try {
                AnsweredTurn answered = processor.complete(turn, modelId, generation, params, modelPieces, micros);
                if (turn.cache() != null && !turn.cache().hit() && turn.routing().failovers().isEmpty()) {
                    // The answer as it left, under the key of the profile that gave all of it.
                    stored = new ResponseCache.Cached(answered.answer(), generation.modelVersion(),
                            answered.call().finishReason(), modelPieces, request.position());
                    responses.put(turn.cache().key(), stored, tenantOf(request).responseCache().ttl());
                }
                deliver(answered, pieces, micros, state.history(request));
            } catch (RuntimeException | StackOverflowError e) {
                unanswered(request, RejectReason.STAGE_FAILED, RecordFailures.describeOrRethrow(e));
            }
        }
        advance(request.conversationKey());
        return stored;
    }

    /** Drops the answered head of the queue and starts the next turn, if any. */
    private void advance(String conversationKey) throws Exception {
        setCurrentKey(conversationKey);
        List<RetrievedRequest> queue = state.pending();
        if (queue.isEmpty()) {
            return;
        }
        List<RetrievedRequest> rest = TurnQueue.afterHead(queue);
        state.setPending(rest);
        if (rest.isEmpty()) {
            return;
        }
        start(rest.get(0), state.history(rest.get(0).request()));
    }

    private void answerLocally(RetrievedRequest retrieved, ConversationHistory current, RoutingDecision routing)
            throws Exception {
        long start = System.nanoTime();
        long startMicros = Tracing.nowMicros();
        AnsweredTurn turn;
        try {
            turn = processor.process(retrieved, current, routing);
        } catch (RuntimeException | StackOverflowError e) {
            unanswered(retrieved.request(), RejectReason.STAGE_FAILED, RecordFailures.describeOrRethrow(e));
            return;
        }
        if (tracing.enabled()) {
            tracing.child(turnSpan(retrieved.request()), MODEL_SPAN, startMicros)
                    .attribute("sluice.profile", routing.profile()).attribute("sluice.model", turn.modelId()).end();
        }
        deliver(turn, 0, (System.nanoTime() - start) / 1000, current);
    }

    /**
     * Links an answered turn into the conversation's audit chain, appends it to the history and
     * emits its answer record after {@code pieces} streamed pieces. {@code current} is the history
     * the turn was answered with.
     */
    private void deliver(AnsweredTurn answered, int pieces, long micros, ConversationHistory current)
            throws Exception {
        AnsweredTurn turn = state.record(answered, current, processor::historyTurn);
        metrics.latency(micros);
        metrics.passed();
        droppedMarkers.inc(turn.grounding().droppedMarkers());
        if (!turn.routing().skipped().isEmpty()) {
            routedPast.inc();
        }
        if (turn.grounding().ungrounded()) {
            ungrounded.inc();
        }
        costs.answered(turn);
        metrics.redacted(turn.answerRedacted());
        metrics.injection(turn.injection());
        Tracing.StageSpan span = tracing.enabled() ? turnSpan(turn.request()) : null;
        if (span != null) {
            turnSpans.remove(turn.request().position());
            turn = turn.withTraceParent(span.traceParent()); // the audit writer's span is its child
            // Ended before the hand-over: the sinks and the audit writer are chained here.
            span.end();
        }
        emit(ResponseEvent.answer(turn, pieces), turn.request());
    }

    /** The span of the turn of {@code request}, started now if it has none (a turn resumed after a restore). */
    private Tracing.StageSpan turnSpan(ChatRequest request) {
        return turnSpans.computeIfAbsent(request.position(), position -> tracing.start(STAGE, request));
    }

    private void emit(ResponseEvent event, ChatRequest request) {
        if (!event.isAnswer()) {
            pieces.inc();
        }
        output.collect(new StreamRecord<>(event, request.eventTime()));
    }

    private void reject(ChatRequest request, RejectReason reason, String detail) {
        if (tracing.enabled()) {
            Tracing.StageSpan span = turnSpans.remove(request.position());
            if (span != null) {
                span.failed(reason.name()).end();
            }
        }
        metrics.rejected(reason);
        output.collect(Rejections.TAG, new StreamRecord<>(Rejection.of(STAGE, reason, detail, request),
                request.eventTime()));
    }

    /** Rejects an admitted turn that produced no answer; its request id may be sent again. */
    private void unanswered(ChatRequest request, RejectReason reason, String detail) throws Exception {
        reject(request, reason, detail);
        state.forget(request);
    }

    /** Runs {@code action} on the task thread; after close, results of abandoned calls are dropped. */
    private void toMailbox(org.apache.flink.util.function.ThrowingRunnable<? extends Exception> action, String what) {
        if (closed) {
            return;
        }
        try {
            mailbox.execute(action, what);
        } catch (RejectedExecutionException e) {
            // The task is shutting down; the unanswered turn is still in the last checkpoint.
        }
    }

    @Override
    public void endInput() throws Exception {
        // Bounded input (replay, tests): every turn is answered before the operator finishes.
        while (slots.running() > 0 || slots.parked() > 0) {
            mailbox.yield();
        }
    }

    @Override
    public void close() throws Exception {
        closed = true;
        if (redis != null) {
            redis.close();
        }
        if (chatModels != null) {
            chatModels.values().forEach(SharedModels.Lease::close);
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (tracing != null) {
            tracing.close();
        }
        super.close();
    }
}
