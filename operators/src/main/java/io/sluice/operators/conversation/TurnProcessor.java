package io.sluice.operators.conversation;

import io.sluice.model.chat.Generation;
import io.sluice.model.chat.GenerationParams;
import io.sluice.operators.answer.Answer;
import io.sluice.operators.answer.AnswerModel;
import io.sluice.operators.answer.CitationFilter;
import io.sluice.operators.answer.GenerativePrompt;
import io.sluice.operators.context.CompiledContext;
import io.sluice.operators.context.ContextCompiler;
import io.sluice.operators.cost.PriceTable;
import io.sluice.operators.guard.AnswerRedactor;
import io.sluice.operators.guard.InjectionDetector;
import io.sluice.operators.guard.InjectionGuard;
import io.sluice.operators.guard.PiiDetector;
import io.sluice.operators.guard.PiiRedactor;
import io.sluice.operators.routing.DegradationLadder;
import io.sluice.schemas.AnsweredTurn;
import io.sluice.schemas.AuditLink;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.CacheUse;
import io.sluice.schemas.ChatRequest;
import io.sluice.schemas.Citation;
import io.sluice.schemas.ConversationHistory;
import io.sluice.schemas.ConversationTurn;
import io.sluice.schemas.Grounding;
import io.sluice.schemas.Injection;
import io.sluice.schemas.ModelCall;
import io.sluice.schemas.RetrievedChunk;
import io.sluice.schemas.RetrievedRequest;
import io.sluice.schemas.RoutingDecision;
import io.sluice.schemas.StageTimings;
import io.sluice.schemas.tenants.InjectionPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Answers one turn of a conversation: screens the retrieved chunks for prompt injection
 * ({@link InjectionGuard}: flagged ones are left out unless the tenant's policy only flags them),
 * compiles the context from the request, the conversation's history and the chunks ({@link #prepare}), answers it with the local answer model or
 * takes a generative model's answer ({@link #complete}), and maps cited markers back to chunks.
 * The caller owns the history; this class keeps no state.
 */
public final class TurnProcessor {

    private final ContextCompiler compiler;
    private final AnswerModel model;
    private final PriceTable prices;
    private final Set<String> unredactedTenants;
    private final Set<String> flagOnlyTenants;
    private final PiiDetector detector = new PiiDetector();
    private final InjectionGuard injectionGuard = new InjectionGuard(new InjectionDetector());

    /** A processor whose turns carry no cost, whose answers are redacted and whose flagged sources are stripped. */
    public TurnProcessor(ContextCompiler compiler, AnswerModel model) {
        this(compiler, model, null, Set.of(), Set.of());
    }

    /**
     * @param prices what turns cost; null: no cost
     * @param unredactedTenants tenants whose answers keep personal data (their policy allows it);
     *     every other tenant's answers are redacted before they leave
     * @param flagOnlyTenants tenants whose sources flagged as prompt injection stay in the context
     *     ({@link InjectionPolicy#FLAG}); every other tenant's are left out
     */
    public TurnProcessor(ContextCompiler compiler, AnswerModel model, PriceTable prices,
            Set<String> unredactedTenants, Set<String> flagOnlyTenants) {
        this.compiler = compiler;
        this.model = model;
        this.prices = prices;
        this.unredactedTenants = Set.copyOf(unredactedTenants);
        this.flagOnlyTenants = Set.copyOf(flagOnlyTenants);
    }

    /**
     * The redactor of a streamed answer to {@code request}, numbering after the question's
     * placeholders; null when the tenant's answers keep personal data.
     */
    public AnswerRedactor answerRedactor(ChatRequest request) {
        PiiRedactor redactor = redactor(request);
        return redactor == null ? null : new AnswerRedactor(redactor);
    }

    /** The turn's redactor, numbering after the question's placeholders; null if its tenant allows personal data. */
    private PiiRedactor redactor(ChatRequest request) {
        return unredactedTenants.contains(request.tenantId()) ? null : new PiiRedactor(detector, request.redacted());
    }

    /** The turn to append to the history once {@code turn} is answered, with its token count. */
    public ConversationTurn historyTurn(AnsweredTurn turn) {
        ChatRequest r = turn.request();
        ConversationTurn t = new ConversationTurn(r.requestId(), r.eventTime(), r.message(), turn.answer());
        return t.withTokens(compiler.turnTokens(t));
    }

    /**
     * A turn whose context is compiled, waiting for its answer, what was flagged on the way, and the
     * profile routing chose to answer it.
     */
    public record PreparedTurn(RetrievedRequest retrieved, CompiledContext context, long compileMicros,
            Injection injection, RoutingDecision routing, CacheUse cache) {

        /** The same turn, answered by {@code decision}'s profile (after a failover). */
        public PreparedTurn withRouting(RoutingDecision decision) {
            return new PreparedTurn(retrieved, context, compileMicros, injection, decision, cache);
        }

        /** The same turn, having consulted the response cache as {@code use} says. */
        public PreparedTurn withCache(CacheUse use) {
            return new PreparedTurn(retrieved, context, compileMicros, injection, routing, use);
        }
    }

    /**
     * How long the answer would be that a generative model's text {@code said} alone becomes:
     * cleaned of markers naming no source, trimmed, redacted and bounded as an answer is. After a
     * failover it measures the part of the answer the failed profile produced.
     */
    public int answerLength(PreparedTurn turn, String said) {
        int sources = turn.context().sources().size();
        String text = GenerativePrompt.answer(CitationFilter.clean(said, sources), sources).text();
        PiiRedactor redactor = redactor(turn.retrieved().request());
        if (redactor != null) {
            text = redactor.redact(text).text();
        }
        return Math.min(text.length(), Bounds.MAX_ANSWER_CHARS);
    }

    /**
     * Screens the retrieved chunks and compiles the turn's context from the request, the history and
     * the chunks that remain — fewer of them when {@code routing} degraded the turn under load (half
     * the sources; then the best source and the newest turn only) — for {@code routing}'s profile.
     * The screening time counts as compile time.
     */
    public PreparedTurn prepare(RetrievedRequest retrieved, ConversationHistory history, RoutingDecision routing) {
        ChatRequest request = retrieved.request();
        long t0 = System.nanoTime();
        InjectionGuard.Screened screened = injectionGuard.screen(
                flagOnlyTenants.contains(request.tenantId()) ? InjectionPolicy.FLAG : InjectionPolicy.STRIP,
                request.message(), request.clientHistory(), retrieved.chunks());
        List<RetrievedChunk> sources = screened.sources();
        List<ConversationTurn> turns = history.turns();
        DegradationLadder.Step step = routing.degradation() == null ? DegradationLadder.Step.NONE
                : DegradationLadder.Step.valueOf(routing.degradation().step());
        if (step.compareTo(DegradationLadder.Step.SMALLER_TOP_K) >= 0) {
            sources = sources.subList(0, (sources.size() + 1) / 2); // half the top-k, the best ones
        }
        if (step.compareTo(DegradationLadder.Step.COMPRESSED_CONTEXT) >= 0) {
            sources = sources.subList(0, Math.min(1, sources.size()));
            turns = turns.subList(Math.max(0, turns.size() - 1), turns.size());
        }
        CompiledContext context = compiler.compile(request.message(), retrieved.questionTokens(),
                retrieved.embeddingModel(), turns, sources, request.contextTokens());
        return new PreparedTurn(retrieved, context, (System.nanoTime() - t0) / 1000, screened.injection(), routing,
                null);
    }

    /** Answers a prepared turn with the local answer model. */
    public AnsweredTurn answerLocally(PreparedTurn turn) {
        long t0 = System.nanoTime();
        Answer answer = model.answer(turn.retrieved().request().message(), turn.context());
        long micros = (System.nanoTime() - t0) / 1000;
        return complete(turn, model.modelId(), answer, ModelCall.local(model.modelId()), micros, false);
    }

    /** Compiles and answers a turn with the local answer model, chosen by {@code routing}. */
    public AnsweredTurn process(RetrievedRequest retrieved, ConversationHistory history, RoutingDecision routing) {
        return answerLocally(prepare(retrieved, history, routing));
    }

    /** Compiles and answers a turn with the local answer model, the one its request named. */
    public AnsweredTurn process(RetrievedRequest retrieved, ConversationHistory history) {
        return process(retrieved, history, RoutingDecision.requested(retrieved.request().answerModel()));
    }

    /** The answered turn of {@code turn}, answered by a generative model. */
    public AnsweredTurn complete(PreparedTurn turn, String modelId, Answer answer, ModelCall call, long answerMicros) {
        return complete(turn, modelId, answer, call, answerMicros, true);
    }

    /**
     * The answered turn of {@code turn} from a generative model's whole {@code generation}, treated
     * as its streamed pieces were: markers naming no source removed, then cut at the answer bound
     * (finish reason {@code length}). The model call records the sampling {@code params} and the
     * {@code modelPieces} pieces the answering model streamed.
     */
    public AnsweredTurn complete(PreparedTurn turn, String modelId, Generation generation, GenerationParams params,
            int modelPieces, long answerMicros) {
        int sources = turn.context().sources().size();
        CitationFilter.Cleaned cleaned = CitationFilter.clean(generation.text(), sources);
        boolean cut = cleaned.text().length() > Bounds.MAX_ANSWER_CHARS;
        if (cut) {
            cleaned = new CitationFilter.Cleaned(StreamedText.cut(cleaned.text(), Bounds.MAX_ANSWER_CHARS),
                    cleaned.droppedMarkers());
        }
        ModelCall call = new ModelCall(generation.modelVersion() + "; prompt v" + GenerativePrompt.VERSION,
                params.temperature(), params.topP(), params.maxTokens(), params.seed(), generation.promptTokens(),
                generation.completionTokens(), cut ? "length" : generation.finishReason(), modelPieces);
        return complete(turn, modelId, GenerativePrompt.answer(cleaned, sources), call, answerMicros);
    }

    /**
     * What profile {@code profile} (model {@code modelId}) gave {@code turn}'s answer before it
     * failed: its {@code pieces} streamed pieces, and the characters of the answer that are its, of
     * all that was {@code said} so far (earlier profiles' shares are the turn's earlier failovers).
     */
    public RoutingDecision.Failover failover(PreparedTurn turn, String profile, String modelId, String said,
            int pieces) {
        int earlier = turn.routing().failovers().stream().mapToInt(RoutingDecision.Failover::chars).sum();
        return new RoutingDecision.Failover(profile, modelId, pieces, Math.max(0, answerLength(turn, said) - earlier));
    }

    /**
     * Why a generative turn is refused when {@code profile} failed with {@code cause} and no other
     * profile took over: the profile, the ones it failed over from, and the failure.
     */
    public static String modelFailure(PreparedTurn turn, String profile, Throwable cause) {
        List<RoutingDecision.Failover> failovers = turn.routing().failovers();
        String after = failovers.isEmpty() ? "" : " (after failing over from "
                + String.join(", ", failovers.stream().map(RoutingDecision.Failover::profile).toList()) + ")";
        return "answer model '" + profile + "' failed" + after + ": " + cause.getMessage();
    }

    /**
     * The answered turn of {@code turn}. A generative answer that cites nothing although the context
     * had sources is ungrounded; the extractive answerer quotes its sources by construction.
     */
    private AnsweredTurn complete(PreparedTurn turn, String modelId, Answer answer, ModelCall call, long answerMicros,
            boolean generative) {
        RetrievedRequest retrieved = turn.retrieved();
        CompiledContext context = turn.context();
        List<Citation> citations = new ArrayList<>();
        for (int marker : answer.citedMarkers()) {
            RetrievedChunk c = context.sources().get(marker - 1);
            citations.add(new Citation(marker, c.chunkId(), c.documentId(), c.title()));
        }
        // Personal data in the answer (quoted from a document, or made up by a model) is replaced as in
        // the streamed pieces: the same placeholders, numbered after the question's.
        ChatRequest request = retrieved.request();
        String text = answer.text();
        SortedMap<String, Integer> redacted = new TreeMap<>();
        PiiRedactor redactor = redactor(request);
        if (redactor != null) {
            PiiRedactor.Redaction r = redactor.redact(text);
            text = r.text();
            r.counts().forEach((kind, n) -> redacted.put(kind.name(), n));
        }
        // Every answer model is held to the answer bound: an extractive answer quotes sentences of any
        // length, a generative one was cut as it streamed (this is then a no-op).
        return new AnsweredTurn(request, retrieved.snapshotId(), retrieved.embeddingModel(),
                retrieved.chunks(), context.hash(), context.tokens(), context.turns().size(), modelId,
                StreamedText.cut(text, Bounds.MAX_ANSWER_CHARS), citations, call, AuditLink.UNLINKED,
                new StageTimings(retrieved.embedMicros(), retrieved.retrieveMicros(), turn.compileMicros(), answerMicros),
                new Grounding(answer.droppedMarkers(),
                        generative && citations.isEmpty() && !context.sources().isEmpty()),
                prices == null ? null : prices.cost(turn.routing().profile(), call), redacted, turn.injection(),
                turn.routing(), turn.cache());
    }
}
