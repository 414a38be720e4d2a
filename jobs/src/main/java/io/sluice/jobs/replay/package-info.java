/**
 * Replay: a serving job restored from a savepoint re-reads its recorded input and runs the serving
 * job's own operators again ({@link io.sluice.jobs.replay.Replay}). What was live when the turn ran
 * (remote answers, breaker states, cache hits, degradations, budgets left) comes from the audit
 * trail's journal ({@link io.sluice.jobs.replay.AuditJournal}); everything else is derived again,
 * and each turn is compared with its audit row stage by stage
 * ({@link io.sluice.jobs.replay.ReplayReport}). Nothing here writes to the live topics or the live
 * audit table.
 */
package io.sluice.jobs.replay;
