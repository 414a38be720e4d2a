/**
 * The audit trail: its schema as versioned migrations ({@link io.sluice.operators.audit.AuditMigrations}),
 * the canonical, hash-chained content of a turn ({@link io.sluice.operators.audit.AuditRecord}),
 * idempotent inserts ({@link io.sluice.operators.audit.AuditStore}) and the chain check behind
 * {@code sluice audit verify} ({@link io.sluice.operators.audit.AuditVerifier}). The Flink operator
 * that commits rows on completed checkpoints is {@link io.sluice.operators.flink.AuditWriterOperator}.
 */
package io.sluice.operators.audit;
