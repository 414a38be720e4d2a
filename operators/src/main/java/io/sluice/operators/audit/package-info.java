/**
 * The audit trail: the PostgreSQL schema and idempotent inserts ({@link
 * io.sluice.operators.audit.AuditStore}), and the exactly-once Flink sink that commits audit rows
 * on completed checkpoints ({@link io.sluice.operators.audit.AuditSink}).
 */
package io.sluice.operators.audit;
