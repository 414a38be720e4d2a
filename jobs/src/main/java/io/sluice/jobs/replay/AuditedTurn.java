package io.sluice.jobs.replay;

import io.sluice.operators.audit.AuditRecord;
import io.sluice.schemas.ChatRequest;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.Serializable;

/** One row of the audit trail as replay uses it: where its request was, and its hashed content. */
public record AuditedTurn(String requestId, String conversationId, String tenantId, int partition, long offset,
        long eventTime, String content, String rowHash) implements Serializable {

    /** Where its request is in {@code chat.requests}: the key replay matches turns by (see {@code ChatRequest#position}). */
    public String position() {
        return ChatRequest.position(partition, offset);
    }

    public JsonNode json() {
        return AuditRecord.parse(content);
    }
}
