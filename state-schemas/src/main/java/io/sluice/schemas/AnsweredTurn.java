package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;
import io.sluice.schemas.serde.RecordCodec;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The outcome of one turn: the request, what was retrieved, the compiled context's hash and size,
 * the answer and its citations with how they held up against the context ({@code grounding}), and
 * how the answer model was called ({@code call}), what it cost ({@code cost}; null when the job
 * has no price table), the personal data replaced in the answer, by kind ({@code answerRedacted};
 * never the values), what the prompt-injection detector flagged ({@code injection}), which model
 * profile answered it and why ({@code routing}), and whether its answer came from the response
 * cache ({@code cache}; null when none was consulted). Both the final
 * {@code chat.responses} record and the audit row are projections of it. Everything but
 * {@code timings} is derived deterministically from the input and the pinned snapshot and models
 * (a remote model's output is an input of the turn: the audit row journals it).
 */
public record AnsweredTurn(
        ChatRequest request,
        String snapshotId,
        String embeddingModel,
        List<RetrievedChunk> retrieved,
        String contextHash,
        int contextTokens,
        int historyTurns,
        String modelId,
        String answer,
        List<Citation> citations,
        ModelCall call,
        AuditLink audit,
        StageTimings timings,
        Grounding grounding,
        Cost cost,
        SortedMap<String, Integer> answerRedacted,
        Injection injection,
        RoutingDecision routing,
        CacheUse cache) {

    public AnsweredTurn {
        injection = injection == null ? Injection.NONE : injection;
        routing = routing == null ? RoutingDecision.requested(request.answerModel()) : routing;
        retrieved = List.copyOf(retrieved);
        citations = List.copyOf(citations);
        // A private TreeMap, exposed read-only: a wrapper would not survive Flink's generic copying.
        answerRedacted = answerRedacted == null ? new TreeMap<>() : new TreeMap<>(answerRedacted);
    }

    /** The personal data replaced in the answer, by kind, in name order; read-only. */
    @Override
    public SortedMap<String, Integer> answerRedacted() {
        return Collections.unmodifiableSortedMap(answerRedacted);
    }

    /** A turn that consulted no response cache. */
    public AnsweredTurn(ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> retrieved,
            String contextHash, int contextTokens, int historyTurns, String modelId, String answer,
            List<Citation> citations, ModelCall call, AuditLink audit, StageTimings timings, Grounding grounding,
            Cost cost, SortedMap<String, Integer> answerRedacted, Injection injection, RoutingDecision routing) {
        this(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens, historyTurns, modelId, answer,
                citations, call, audit, timings, grounding, cost, answerRedacted, injection, routing, null);
    }

    /** A turn answered by the profile its request named, in a job without a routing policy. */
    public AnsweredTurn(ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> retrieved,
            String contextHash, int contextTokens, int historyTurns, String modelId, String answer,
            List<Citation> citations, ModelCall call, AuditLink audit, StageTimings timings, Grounding grounding,
            Cost cost, SortedMap<String, Integer> answerRedacted, Injection injection) {
        this(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens, historyTurns, modelId, answer,
                citations, call, audit, timings, grounding, cost, answerRedacted, injection, null);
    }

    /** A turn in which nothing was flagged as prompt injection. */
    public AnsweredTurn(ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> retrieved,
            String contextHash, int contextTokens, int historyTurns, String modelId, String answer,
            List<Citation> citations, ModelCall call, AuditLink audit, StageTimings timings, Grounding grounding,
            Cost cost, SortedMap<String, Integer> answerRedacted) {
        this(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens, historyTurns, modelId, answer,
                citations, call, audit, timings, grounding, cost, answerRedacted, Injection.NONE);
    }

    /** A turn whose answer had nothing redacted. */
    public AnsweredTurn(ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> retrieved,
            String contextHash, int contextTokens, int historyTurns, String modelId, String answer,
            List<Citation> citations, ModelCall call, AuditLink audit, StageTimings timings, Grounding grounding,
            Cost cost) {
        this(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens, historyTurns, modelId, answer,
                citations, call, audit, timings, grounding, cost, null);
    }

    /** A turn without a cost (no price table). */
    public AnsweredTurn(ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> retrieved,
            String contextHash, int contextTokens, int historyTurns, String modelId, String answer,
            List<Citation> citations, ModelCall call, AuditLink audit, StageTimings timings, Grounding grounding) {
        this(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens, historyTurns, modelId, answer,
                citations, call, audit, timings, grounding, null);
    }

    /** A turn whose citations all named sources (every extractive answer). */
    public AnsweredTurn(ChatRequest request, String snapshotId, String embeddingModel, List<RetrievedChunk> retrieved,
            String contextHash, int contextTokens, int historyTurns, String modelId, String answer,
            List<Citation> citations, ModelCall call, AuditLink audit, StageTimings timings) {
        this(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens, historyTurns, modelId, answer,
                citations, call, audit, timings, Grounding.SOUND);
    }

    /** This turn with its request in trace context {@code traceParent} (the span that answered it). */
    public AnsweredTurn withTraceParent(String traceParent) {
        return withInputs(request.withTraceParent(traceParent), retrieved);
    }

    /** This turn, answered for {@code request} from {@code retrieved}: everything else as it is. */
    public AnsweredTurn withInputs(ChatRequest request, List<RetrievedChunk> retrieved) {
        return new AnsweredTurn(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens,
                historyTurns, modelId, answer, citations, call, audit, timings, grounding, cost, answerRedacted,
                injection, routing, cache);
    }

    /** This turn with its place in the audit chain. */
    public AnsweredTurn withAudit(AuditLink link) {
        return new AnsweredTurn(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens, historyTurns,
                modelId, answer, citations, call, link, timings, grounding, cost, answerRedacted, injection, routing,
                cache);
    }

    public static final TypeInformation<AnsweredTurn> TYPE = new RecordTypeInfo<>(new Codec());

    /**
     * Version 2 added the request's answer model and {@code call}; version 3 the audit link; version
     * 4 holds a request of layout 3 (with its reply partition), version 5 one of layout 4 (with its
     * client history); version 6 added {@code grounding}; version 7 holds a request of layout 5
     * (with its redaction counts), version 8 one of layout 6 (with its API key id); version 9 added
     * {@code cost}, version 10 {@code answerRedacted}, version 11 {@code injection}, version 12
     * {@code routing} and {@code cache}; version 13 holds a request of layout 7 (with its
     * priority and budget left) and a degradation's {@code waitedMs}; version 14 one of layout 8
     * (with its trace context).
     */
    public static final class Codec implements RecordCodec<AnsweredTurn> {
        @Override
        public int version() {
            return 14;
        }

        @Override
        public Class<AnsweredTurn> typeClass() {
            return AnsweredTurn.class;
        }

        @Override
        public void write(AnsweredTurn v, DataOutputView out) throws IOException {
            ChatRequest.Codec.writeFields(v.request, out);
            Fields.writeString(out, v.snapshotId);
            Fields.writeString(out, v.embeddingModel);
            Fields.writeList(out, v.retrieved, RetrievedChunk::write);
            Fields.writeString(out, v.contextHash);
            out.writeInt(v.contextTokens);
            out.writeInt(v.historyTurns);
            Fields.writeString(out, v.modelId);
            Fields.writeString(out, v.answer);
            Fields.writeList(out, v.citations, (c, o) -> {
                o.writeInt(c.marker());
                Fields.writeString(o, c.chunkId());
                Fields.writeString(o, c.documentId());
                Fields.writeString(o, c.title());
            });
            ModelCall.write(v.call, out);
            AuditLink.write(v.audit, out);
            out.writeLong(v.timings.embedMicros());
            out.writeLong(v.timings.retrieveMicros());
            out.writeLong(v.timings.compileMicros());
            out.writeLong(v.timings.answerMicros());
            Grounding.write(v.grounding, out);
            Cost.write(v.cost, out);
            out.writeInt(v.answerRedacted.size());
            for (var e : v.answerRedacted.entrySet()) {
                Fields.writeString(out, e.getKey());
                out.writeInt(e.getValue());
            }
            Injection.write(v.injection, out);
            RoutingDecision.write(v.routing, out);
            CacheUse.write(v.cache, out);
        }

        @Override
        public AnsweredTurn read(int version, DataInputView in) throws IOException {
            ChatRequest request = ChatRequest.Codec.readFields(in, version >= 14 ? 8 : version >= 13 ? 7 : version >= 8 ? 6 : version >= 7 ? 5 : version >= 5 ? 4 : version == 4 ? 3 : Math.min(version, 2));
            String snapshotId = Fields.readString(in);
            String embeddingModel = Fields.readString(in);
            List<RetrievedChunk> retrieved = Fields.readList(in, RetrievedChunk::read);
            String contextHash = Fields.readString(in);
            int contextTokens = in.readInt();
            int historyTurns = in.readInt();
            String modelId = Fields.readString(in);
            String answer = Fields.readString(in);
            List<Citation> citations = Fields.readList(in, i -> new Citation(i.readInt(), Fields.readString(i),
                    Fields.readString(i), Fields.readString(i)));
            // Version 1 turns were all answered by the extractive answerer, which samples nothing.
            ModelCall call = version >= 2 ? ModelCall.read(in) : ModelCall.local(modelId);
            AuditLink audit = version >= 3 ? AuditLink.read(in) : AuditLink.UNLINKED;
            StageTimings timings = new StageTimings(in.readLong(), in.readLong(), in.readLong(), in.readLong());
            return new AnsweredTurn(request, snapshotId, embeddingModel, retrieved, contextHash, contextTokens,
                    historyTurns, modelId, answer, citations, call, audit, timings,
                    version >= 6 ? Grounding.read(in) : Grounding.SOUND, version >= 9 ? Cost.read(in) : null,
                    version >= 10 ? readCounts(in) : null, version >= 11 ? Injection.read(in) : Injection.NONE,
                    version >= 12 ? RoutingDecision.read(in, version >= 13) : null, version >= 12 ? CacheUse.read(in) : null);
        }

        private static SortedMap<String, Integer> readCounts(DataInputView in) throws IOException {
            int n = in.readInt();
            SortedMap<String, Integer> counts = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                counts.put(Fields.readString(in), in.readInt());
            }
            return counts;
        }
    }
}
