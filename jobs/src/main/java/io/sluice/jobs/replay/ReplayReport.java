package io.sluice.jobs.replay;

import io.sluice.operators.audit.AuditRecord;
import io.sluice.schemas.AnsweredTurn;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Compares replayed turns with the audit trail, stage by stage, and says for each turn whether it
 * is identical or at which stage it first diverged.
 */
public final class ReplayReport {

    /** The stages of a turn, in the order they shape it, with the audited fields each one decides. */
    public enum Stage {
        INPUT("requestId", "conversationId", "tenantId", "eventTime", "partition", "offset", "message", "redacted",
                "apiKeyId", "priority"),
        ROUTING("answerModel", "budgetLeft", "routing"),
        RETRIEVAL("snapshotId", "embeddingModel", "retrieved"),
        CONTEXT("injection", "contextHash", "contextTokens", "historyTurns"),
        ANSWER("modelId", "responseCache", "modelCall", "cost", "answer", "answerRedacted", "citations", "grounding"),
        CHAIN("chainSeq", "prevHash");

        final List<String> fields;

        Stage(String... fields) {
            this.fields = List.of(fields);
        }
    }

    /** A turn that diverged: where first, and how. */
    public record Divergence(String requestId, String conversationId, Stage stage, String field, String audited,
            String replayed) {}

    private final Map<String, AuditedTurn> expected;
    private final Set<String> inRange;
    private final Predicate<AuditedTurn> answeredAfterTheSavepoint;
    private final List<Divergence> divergences = new ArrayList<>();
    private final Map<String, Boolean> replayed = new LinkedHashMap<>();
    private long notAudited;

    /**
     * @param expected the audit trail's turns by position in chat.requests
     * @param inRange the positions replay must reproduce: those the replay reads again (the rest are
     *     only journal)
     * @param answeredAfterTheSavepoint whether a turn replay produced though its request precedes
     *     the savepoint's position is compared: the savepoint held it (the embed stage had read it,
     *     or the conversation stage was answering it), so the live run answered it after the
     *     savepoint, as replay does; false for turns before the compared range ({@code --from})
     */
    public ReplayReport(Map<String, AuditedTurn> expected, Set<String> inRange,
            Predicate<AuditedTurn> answeredAfterTheSavepoint) {
        this.expected = expected;
        this.inRange = inRange;
        this.answeredAfterTheSavepoint = answeredAfterTheSavepoint;
    }

    /** Compares one replayed turn; returns its divergence, or null if identical. */
    public Divergence add(AnsweredTurn turn) {
        String id = turn.request().position();
        AuditedTurn audited = expected.get(id);
        if (audited == null) {
            notAudited++;
            return null;
        }
        if (!inRange.contains(id) && !answeredAfterTheSavepoint.test(audited)) {
            return null; // re-run to rebuild state, before the compared range (--from)
        }
        Divergence d = compare(AuditRecord.of(turn).text(), turn.audit().hash(), audited);
        replayed.put(id, d == null);
        if (d != null) {
            divergences.add(d);
        }
        return d;
    }

    static Divergence compare(String replayedContent, String replayedHash, AuditedTurn audited) {
        JsonNode mine = AuditRecord.parse(replayedContent);
        JsonNode theirs = audited.json();
        for (Stage stage : Stage.values()) {
            for (String field : stage.fields) {
                if (!mine.path(field).equals(theirs.path(field))) {
                    return new Divergence(audited.requestId(), audited.conversationId(), stage, field,
                            theirs.path(field).toString(), mine.path(field).toString());
                }
            }
        }
        if (!replayedHash.equals(audited.rowHash())) {
            return new Divergence(audited.requestId(), audited.conversationId(), Stage.CHAIN, "rowHash",
                    audited.rowHash(), replayedHash);
        }
        return null;
    }

    public long replayedTurns() {
        return replayed.size() + notAudited;
    }

    public long identical() {
        return replayed.values().stream().filter(b -> b).count();
    }

    public List<Divergence> divergences() {
        return List.copyOf(divergences);
    }

    /** Request ids of the audit trail's turns in the replayed range that replay did not produce. */
    public List<String> missing() {
        return inRange.stream().filter(p -> !replayed.containsKey(p)).map(p -> expected.get(p).requestId()).sorted()
                .toList();
    }

    /** Replayed turns the audit trail does not have (answered after it was read, or never committed). */
    public long notAudited() {
        return notAudited;
    }

    public boolean identicalToTheAuditTrail() {
        return divergences.isEmpty() && missing().isEmpty();
    }
}
