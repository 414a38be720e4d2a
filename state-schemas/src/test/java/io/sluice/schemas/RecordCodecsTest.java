package io.sluice.schemas;

import io.sluice.schemas.serde.RecordSerializer;
import io.sluice.schemas.serde.RecordTypeInfo;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every record survives its codec, and serializer snapshots restore and judge compatibility. */
class RecordCodecsTest {

    private static final ChatRequest REQUEST =
            new ChatRequest("r-1", "acme", "c-1", "How? ünïcödé " + "x".repeat(70_000), 5, 1024, 1700000000000L, 1, 42L);
    private static final RetrievedChunk CHUNK =
            new RetrievedChunk("d#0", "d", null, "text", 0.0325, 1, 0, 12);

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(TypeInformation<T> type, T value) throws IOException {
        TypeSerializer<T> serializer = type.createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(value, out);
        T back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        // copy() through bytes must give the same record as well
        DataOutputSerializer copy = new DataOutputSerializer(64);
        serializer.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copy);
        assertThat(copy.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
        return back;
    }

    @Test
    void everyRecordRoundTrips() throws IOException {
        assertThat(roundTrip(RequestEnvelope.TYPE, RequestEnvelope.ofText(3, 9L, 5L, "{}")))
                .isEqualTo(RequestEnvelope.ofText(3, 9L, 5L, "{}"));
        RequestEnvelope notUtf8 = new RequestEnvelope(3, 9L, 5L, new byte[] {(byte) 0xC3, 0x28, 0});
        assertThat(roundTrip(RequestEnvelope.TYPE, notUtf8)).isEqualTo(notUtf8);
        assertThat(roundTrip(RequestEnvelope.TYPE, new RequestEnvelope(0, 0L, 0L, null)).payload()).isNull();
        RequestEnvelope tracedEnvelope = new RequestEnvelope(1, 2L, 3L, new byte[] {1}, 4, "sig",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assertThat(roundTrip(RequestEnvelope.TYPE, tracedEnvelope)).isEqualTo(tracedEnvelope);
        RequestEnvelope signed = new RequestEnvelope(1, 2L, 3L, new byte[] {'{', '}'}, 4, "ab12");
        assertThat(roundTrip(RequestEnvelope.TYPE, signed)).isEqualTo(signed);
        ChatRequest replied = new ChatRequest("r-3", "acme", "c-1", "hi", 5, 1024, 1L, 0, 7L, "remote", 3);
        assertThat(roundTrip(ChatRequest.TYPE, replied)).isEqualTo(replied);
        for (ConversationHistory brought : List.of(ConversationHistory.EMPTY, new ConversationHistory(List.of(
                ConversationTurn.fromClient("How?", "Thus [1]."), ConversationTurn.fromClient("", "ünïcödé"))))) {
            ChatRequest stateless = new ChatRequest("r-4", "acme", ChatRequest.clientConversationId(0, 7L), "hi", 5,
                    1024, 1L, 0, 7L, "remote", 3, brought, new java.util.TreeMap<>(java.util.Map.of("EMAIL", 2)));
            assertThat(roundTrip(ChatRequest.TYPE, stateless)).isEqualTo(stateless);
            RetrievedRequest retrieved = new RetrievedRequest(stateless, "snap", "m@1", List.of(CHUNK), 1L, 2L);
            assertThat(roundTrip(RetrievedRequest.TYPE, retrieved).request().clientHistory()).isEqualTo(brought);
            assertThat(roundTrip(RetrievedRequest.TYPE, retrieved).request().redacted()).containsEntry("EMAIL", 2);
        }
        Rejection toReply = new Rejection("validate", RejectReason.UNAUTHENTICATED, "no", "r", "t", "c", "p", 0, 1L, 2L, 5);
        assertThat(roundTrip(Rejection.TYPE, toReply)).isEqualTo(toReply);
        ChatRequest keyed = new ChatRequest("r-k", "acme", "c-1", "hi", 5, 1024, 1L, 0, 8L, "extractive", -1, null,
                null, "0a1b2c3d4e5f6a7b");
        assertThat(roundTrip(ChatRequest.TYPE, keyed)).isEqualTo(keyed);
        assertThat(roundTrip(RetrievedRequest.TYPE, new RetrievedRequest(keyed, "snap", "m@1", List.of(), 1L, 2L))
                .request().apiKeyId()).isEqualTo("0a1b2c3d4e5f6a7b");
        ChatRequest bulk = new ChatRequest("r-b", "acme", "c-1", "hi", 5, 1024, 1L, 0, 9L, "remote", -1, null, null,
                null, ChatRequest.BULK, 37);
        assertThat(roundTrip(ChatRequest.TYPE, bulk)).isEqualTo(bulk);
        assertThat(roundTrip(RetrievedRequest.TYPE, new RetrievedRequest(bulk, "snap", "m@1", List.of(), 1L, 2L))
                .request()).isEqualTo(bulk);
        ChatRequest traced = bulk.withTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        assertThat(roundTrip(ChatRequest.TYPE, traced)).isEqualTo(traced);
        assertThat(roundTrip(RetrievedRequest.TYPE, new RetrievedRequest(traced, "snap", "m@1", List.of(), 1L, 2L))
                .request().traceParent()).isEqualTo(traced.traceParent());
        // A request of layout 7 (before trace context) is in none; of layout 6 (before priorities) it
        // is interactive and says nothing of budgets.
        DataOutputSerializer v8 = new DataOutputSerializer(64);
        ChatRequest.Codec.writeFields(keyed, v8);
        byte[] layout8 = v8.getCopyOfBuffer();
        byte[] layout7 = java.util.Arrays.copyOf(layout8, layout8.length - 4);
        assertThat(ChatRequest.Codec.readFields(new DataInputDeserializer(layout7), 7)).isEqualTo(keyed);
        byte[] layout6 = java.util.Arrays.copyOf(layout7, layout7.length - (4 + "interactive".length() + 4));
        ChatRequest older = ChatRequest.Codec.readFields(new DataInputDeserializer(layout6), 6);
        assertThat(older).isEqualTo(keyed);
        assertThat(older.priority()).isEqualTo(ChatRequest.INTERACTIVE);
        assertThat(older.budgetLeft()).isEqualTo(-1);
        Rejection limited = toReply.retryingAt(1_500L);
        assertThat(roundTrip(Rejection.TYPE, limited)).isEqualTo(limited);
        assertThat(limited.retryAfterMillis()).isEqualTo(1_498L);
        assertThat(toReply.retryAfterMillis()).isEqualTo(-1L);
        Reservation reservation = new Reservation("r-1", 1_344L, null, "remote", 5L);
        assertThat(roundTrip(Reservation.TYPE, reservation)).isEqualTo(reservation);
        Reservation charged = new Reservation("r-2", 1_344L, "k1", "remote", 5L,
                List.of("tenant/1970-01-01", "key:k1/1970-01"));
        assertThat(roundTrip(Reservation.TYPE, charged)).isEqualTo(charged);
        var update = new io.sluice.schemas.tenants.LimitsUpdate("acme", 3, 60_000L, "{\"maxInFlight\":4}");
        assertThat(roundTrip(AdmissionEvent.TYPE, AdmissionEvent.of(update))).isEqualTo(AdmissionEvent.of(update));
        assertThat(roundTrip(AdmissionEvent.TYPE, AdmissionEvent.of(new Settlement("acme", "r", "0:1", 5, "answered"))))
                .isEqualTo(AdmissionEvent.of(new Settlement("acme", "r", "0:1", 5, "answered")));
        var limitsHistory = new io.sluice.schemas.tenants.LimitsHistory(List.of(update));
        assertThat(roundTrip(io.sluice.schemas.tenants.LimitsHistory.TYPE, limitsHistory)).isEqualTo(limitsHistory);
        assertThat(roundTrip(Spend.TYPE, new Spend(7L, 9L))).isEqualTo(new Spend(7L, 9L));
        Settlement settlement = new Settlement("acme", "r-1", "0:7", -1L, "MODEL_FAILED");
        assertThat(roundTrip(Settlement.TYPE, settlement)).isEqualTo(settlement);
        TokenBucket bucket = new TokenBucket(120_000L, 1_700_000_000_000L);
        assertThat(roundTrip(TokenBucket.TYPE, bucket)).isEqualTo(bucket);
        RecentRequests recent = new RecentRequests(List.of(new RecentRequests.Seen("r-1", 5L), new RecentRequests.Seen("r-2", 9L)));
        assertThat(roundTrip(RecentRequests.TYPE, recent)).isEqualTo(recent);
        assertThat(roundTrip(ChatRequest.TYPE, REQUEST)).isEqualTo(REQUEST);
        Rejection rejection = new Rejection("validate", RejectReason.UNKNOWN_TENANT, "no", null, "x", null, "p", 0, 1L, 2L);
        assertThat(roundTrip(Rejection.TYPE, rejection)).isEqualTo(rejection);
        RetrievedRequest retrieved = new RetrievedRequest(REQUEST, "snap", "m@1", List.of(CHUNK, CHUNK), 66L, 77L);
        assertThat(roundTrip(RetrievedRequest.TYPE, retrieved)).isEqualTo(retrieved);
        ConversationHistory history = ConversationHistory.EMPTY
                .append(new ConversationTurn("r-0", 1L, "q", "a"), 8)
                .append(new ConversationTurn("r-1", 2L, "q2", null), 8);
        assertThat(roundTrip(ConversationHistory.TYPE, history)).isEqualTo(history);
        for (ConversationTurn t : history.turns()) {
            assertThat(roundTrip(ConversationTurn.TYPE, t.withTokens(12))).isEqualTo(t.withTokens(12));
        }
        assertThat(roundTrip(RecentRequests.Seen.TYPE, recent.seen().get(0))).isEqualTo(recent.seen().get(0));
        AnsweredTurn turn = new AnsweredTurn(REQUEST, "snap", "m@1", List.of(CHUNK), "hash", 100, 2, "extractive@1",
                "answer [1]", List.of(new Citation(1, "d#0", "d", "T")),
                new ModelCall("qwen; prompt v1", 0.7, 0.9, 256, 12345L, 40, 12, "stop", 11),
                new AuditLink(3, AuditLink.GENESIS, "ab12"), new StageTimings(1, 2, 3, 4));
        assertThat(roundTrip(AnsweredTurn.TYPE, turn)).isEqualTo(turn);
        AnsweredTurn flagged = new AnsweredTurn(turn.request(), turn.snapshotId(), turn.embeddingModel(), turn.retrieved(),
                turn.contextHash(), turn.contextTokens(), turn.historyTurns(), turn.modelId(), turn.answer(),
                turn.citations(), turn.call(), turn.audit(), turn.timings(), new Grounding(2, true));
        assertThat(roundTrip(AnsweredTurn.TYPE, flagged)).isEqualTo(flagged);
        AnsweredTurn priced = new AnsweredTurn(turn.request(), turn.snapshotId(), turn.embeddingModel(), turn.retrieved(),
                turn.contextHash(), turn.contextTokens(), turn.historyTurns(), turn.modelId(), turn.answer(),
                turn.citations(), turn.call(), turn.audit(), turn.timings(), turn.grounding(), new Cost(55_500L, "v1"));
        assertThat(roundTrip(AnsweredTurn.TYPE, priced)).isEqualTo(priced);
        assertThat(priced.cost().usd()).isEqualTo("0.000055500");
        AnsweredTurn redacted = new AnsweredTurn(turn.request(), turn.snapshotId(), turn.embeddingModel(),
                turn.retrieved(), turn.contextHash(), turn.contextTokens(), turn.historyTurns(), turn.modelId(),
                "mail [EMAIL_1]", turn.citations(), turn.call(), turn.audit(), turn.timings(), turn.grounding(), null,
                new java.util.TreeMap<>(java.util.Map.of("EMAIL", 1)));
        assertThat(roundTrip(AnsweredTurn.TYPE, redacted)).isEqualTo(redacted);
        assertThat(roundTrip(AnsweredTurn.TYPE, redacted).answerRedacted()).containsEntry("EMAIL", 1);
        Injection injection = new Injection(List.of("OVERRIDE", "ENCODED"),
                List.of(new Injection.FlaggedSource("d#2", List.of("EXFILTRATION"))), true);
        AnsweredTurn guarded = new AnsweredTurn(turn.request(), turn.snapshotId(), turn.embeddingModel(),
                turn.retrieved(), turn.contextHash(), turn.contextTokens(), turn.historyTurns(), turn.modelId(),
                turn.answer(), turn.citations(), turn.call(), turn.audit(), turn.timings(), turn.grounding(), null,
                null, injection);
        assertThat(roundTrip(AnsweredTurn.TYPE, guarded).injection()).isEqualTo(injection);
        assertThat(roundTrip(AnsweredTurn.TYPE, turn).injection()).isEqualTo(Injection.NONE);
        assertThat(new Injection(List.of(), List.of(), true).stripped()).as("nothing to strip").isFalse();
        RoutingDecision routing = new RoutingDecision(4, "gold", "analysis", "backup", 2,
                List.of(new RoutingDecision.Skip("large", RoutingDecision.Skip.BREAKER_OPEN)));
        AnsweredTurn routed = new AnsweredTurn(turn.request(), turn.snapshotId(), turn.embeddingModel(),
                turn.retrieved(), turn.contextHash(), turn.contextTokens(), turn.historyTurns(), turn.modelId(),
                turn.answer(), turn.citations(), turn.call(), turn.audit(), turn.timings(), turn.grounding(), null,
                null, injection, routing);
        assertThat(roundTrip(AnsweredTurn.TYPE, routed)).isEqualTo(routed);
        assertThat(roundTrip(AnsweredTurn.TYPE, turn).routing())
                .isEqualTo(RoutingDecision.requested(turn.request().answerModel())).matches(RoutingDecision::trivial);
        ResponseEvent pieceEvent = ResponseEvent.piece(REQUEST, 3, " word");
        assertThat(roundTrip(ResponseEvent.TYPE, pieceEvent)).isEqualTo(pieceEvent);
        ResponseEvent answerEvent = ResponseEvent.answer(turn, 11);
        assertThat(roundTrip(ResponseEvent.TYPE, answerEvent)).isEqualTo(answerEvent);
        ChatRequest generative = new ChatRequest("r-2", "acme", "c-1", "hi", 5, 1024, 1L, 0, 7L, "remote");
        assertThat(roundTrip(ChatRequest.TYPE, generative)).isEqualTo(generative);
        EmbeddedRequest embeddedRequest = roundTrip(EmbeddedRequest.TYPE, new EmbeddedRequest(REQUEST, "m@1", new float[] {1f, 0f}, 9L));
        assertThat(embeddedRequest.request()).isEqualTo(REQUEST);
        assertThat(embeddedRequest.vector()).containsExactly(1f, 0f);
        assertThat(embeddedRequest.embedMicros()).isEqualTo(9L);
        Document doc = new Document("t", "id", "title", "text", 5L);
        assertThat(roundTrip(Document.TYPE, doc)).isEqualTo(doc);
        Chunk chunk = new Chunk("id#0", "t", "id", "title", 0, 1, "text", 2);
        assertThat(roundTrip(ChunkCodec.TYPE, chunk)).isEqualTo(chunk);
        EmbeddedChunk embedded = roundTrip(EmbeddedChunk.TYPE, new EmbeddedChunk(chunk, "key", new float[] {0.5f, -1f}, true));
        assertThat(embedded.chunk()).isEqualTo(chunk);
        assertThat(embedded.vector()).containsExactly(0.5f, -1f);
        assertThat(embedded.reused()).isTrue();
    }

    /**
     * Version 9 of the embedded and retrieved requests adds the question's token count after a request
     * of layout 8; what version 8 wrote reads back with the count not known (0).
     */
    @Test
    void questionTokenCountsRoundTripAndRecordsWrittenBeforeThemReadAsNotKnown() throws IOException {
        ChatRequest traced = REQUEST.withTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        EmbeddedRequest embedded = new EmbeddedRequest(traced, "m@1", new float[] {1f, 0f}, 9L, 17);
        assertThat(roundTrip(EmbeddedRequest.TYPE, embedded).questionTokens()).isEqualTo(17);
        RetrievedRequest retrieved = new RetrievedRequest(traced, "snap", "m@1", List.of(CHUNK), 1L, 2L, 17);
        assertThat(roundTrip(RetrievedRequest.TYPE, retrieved)).isEqualTo(retrieved);

        DataOutputSerializer out = new DataOutputSerializer(256);
        new EmbeddedRequest.Codec().write(embedded, out);
        byte[] v9 = out.getCopyOfBuffer();
        EmbeddedRequest v8 = new EmbeddedRequest.Codec().read(8,
                new DataInputDeserializer(java.util.Arrays.copyOf(v9, v9.length - 4)));
        assertThat(v8.request()).isEqualTo(traced);
        assertThat(v8.embedMicros()).isEqualTo(9L);
        assertThat(v8.questionTokens()).isZero();

        out.clear();
        new RetrievedRequest.Codec().write(retrieved, out);
        byte[] r9 = out.getCopyOfBuffer();
        RetrievedRequest r8 = new RetrievedRequest.Codec().read(8,
                new DataInputDeserializer(java.util.Arrays.copyOf(r9, r9.length - 4)));
        assertThat(r8).isEqualTo(new RetrievedRequest(traced, "snap", "m@1", List.of(CHUNK), 1L, 2L));
        assertThat(r8.questionTokens()).isZero();
    }

    @Test
    void requestsWrittenBeforeAnswerModelsReadAsExtractive() throws IOException {
        // The version-1 layout of a request: no answer model after the offset.
        DataOutputSerializer v1 = new DataOutputSerializer(64);
        for (String s : new String[] {"r-1", "acme", "c-1", "hi"}) {
            io.sluice.schemas.serde.Fields.writeString(v1, s);
        }
        v1.writeInt(5);
        v1.writeInt(1024);
        v1.writeLong(1L);
        v1.writeInt(0);
        v1.writeLong(7L);
        ChatRequest old = new ChatRequest.Codec().read(1, new DataInputDeserializer(v1.getCopyOfBuffer()));
        assertThat(old).isEqualTo(new ChatRequest("r-1", "acme", "c-1", "hi", 5, 1024, 1L, 0, 7L));
        assertThat(old.answerModel()).isEqualTo(ChatRequest.DEFAULT_ANSWER_MODEL);
    }

    @Test
    void envelopesAndRejectionsOfVersion1ReadBack() throws IOException {
        DataOutputSerializer envelope = new DataOutputSerializer(64);
        envelope.writeInt(1);
        envelope.writeLong(2L);
        envelope.writeLong(3L);
        io.sluice.schemas.serde.Fields.writeString(envelope, "key");
        io.sluice.schemas.serde.Fields.writeString(envelope, "{\"a\":\"ü\"}");
        assertThat(new RequestEnvelope.Codec().read(1, new DataInputDeserializer(envelope.getCopyOfBuffer())))
                .isEqualTo(RequestEnvelope.ofText(1, 2L, 3L, "{\"a\":\"ü\"}"));

        DataOutputSerializer rejection = new DataOutputSerializer(64);
        rejection.writeUTF("MALFORMED_JSON");
        for (String s : new String[] {"bad", null, null, null, "x"}) {
            io.sluice.schemas.serde.Fields.writeString(rejection, s);
        }
        rejection.writeInt(0);
        rejection.writeLong(4L);
        rejection.writeLong(5L);
        assertThat(new Rejection.Codec().read(1, new DataInputDeserializer(rejection.getCopyOfBuffer())))
                .isEqualTo(new Rejection("unknown", RejectReason.MALFORMED_JSON, "bad", null, null, null, "x", 0, 4L, 5L));
    }

    @Test
    void recordsWrittenBeforeReplyPartitionsReadBackWithout() throws IOException {
        // A request of layout 2 inside a version-2 retrieved request, as the previous build wrote it.
        DataOutputSerializer v2 = new DataOutputSerializer(64);
        for (String s : new String[] {"r-1", "acme", "c-1", "hi"}) {
            io.sluice.schemas.serde.Fields.writeString(v2, s);
        }
        v2.writeInt(5);
        v2.writeInt(1024);
        v2.writeLong(1L);
        v2.writeInt(0);
        v2.writeLong(7L);
        io.sluice.schemas.serde.Fields.writeString(v2, "remote");
        io.sluice.schemas.serde.Fields.writeString(v2, "snap");
        io.sluice.schemas.serde.Fields.writeString(v2, "m@1");
        v2.writeInt(0); // no chunks
        v2.writeLong(8L);
        v2.writeLong(9L);
        RetrievedRequest old = new RetrievedRequest.Codec().read(2, new DataInputDeserializer(v2.getCopyOfBuffer()));
        assertThat(old.request()).isEqualTo(new ChatRequest("r-1", "acme", "c-1", "hi", 5, 1024, 1L, 0, 7L, "remote"));
        assertThat(old.request().replyPartition()).isEqualTo(-1);
        assertThat(old.retrieveMicros()).isEqualTo(9L);
    }

    @Test
    void signaturesBindThePayloadAndTheReplyPartition() {
        byte[] key = "k".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] payload = "{\"tenantId\":\"acme\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String signature = RequestSignature.sign(key, 2, payload);
        assertThat(signature).hasSize(64);
        assertThat(RequestSignature.verify(key, 2, payload, signature)).isTrue();
        assertThat(RequestSignature.verify(key, 3, payload, signature)).isFalse();
        assertThat(RequestSignature.verify(key, 2, "{\"tenantId\":\"globex\"}".getBytes(
                java.nio.charset.StandardCharsets.UTF_8), signature)).isFalse();
        assertThat(RequestSignature.verify("other".getBytes(java.nio.charset.StandardCharsets.UTF_8), 2, payload,
                signature)).isFalse();
        assertThat(RequestSignature.verify(key, 2, payload, null)).isFalse();
    }

    @Test
    void historyKeepsOnlyTheNewestTurns() {
        ConversationHistory h = ConversationHistory.EMPTY;
        for (int i = 0; i < 5; i++) {
            h = h.append(new ConversationTurn("r" + i, i, "q", "a"), 3);
        }
        assertThat(h.turns()).extracting(ConversationTurn::requestId).containsExactly("r2", "r3", "r4");
        assertThat(h.answered("r3")).isTrue();
        assertThat(h.answered("r1")).isFalse();
        // Each turn leaves the history once it is older than the time to live (event time), not all at once.
        java.time.Duration ttl = java.time.Duration.ofMillis(3);
        assertThat(h.within(ttl, 5L).turns()).extracting(ConversationTurn::requestId).containsExactly("r2", "r3", "r4");
        assertThat(h.within(ttl, 6L).turns()).extracting(ConversationTurn::requestId).containsExactly("r3", "r4");
        assertThat(h.within(ttl, 8L).turns()).isEmpty();
    }

    @Test
    void snapshotsRestoreAndJudgeCompatibility() throws IOException {
        TypeSerializer<ConversationHistory> serializer = new RecordSerializer<>(new ConversationHistory.Codec());
        TypeSerializerSnapshot<ConversationHistory> snapshot = serializer.snapshotConfiguration();

        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        TypeSerializerSnapshot<ConversationHistory> restored = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());

        assertThat(restored.restoreSerializer()).isEqualTo(serializer);
        assertThat(snapshot.resolveSchemaCompatibility(restored).isCompatibleAsIs()).isTrue();

        TypeSerializerSnapshot<ConversationHistory> other = (TypeSerializerSnapshot) new RecordSerializer<>(
                new ChatRequest.Codec()).snapshotConfiguration();
        assertThat(snapshot.resolveSchemaCompatibility(other).isIncompatible()).isTrue();
    }

    @Test
    void typeInformationNeverFallsBackToGenericTypes() {
        assertThat(AnsweredTurn.TYPE).isInstanceOf(RecordTypeInfo.class);
        assertThat(AnsweredTurn.TYPE.createSerializer(new SerializerConfigImpl())).isInstanceOf(RecordSerializer.class);
        assertThat(AnsweredTurn.TYPE).isEqualTo(new RecordTypeInfo<>(new AnsweredTurn.Codec()));
    }
}
