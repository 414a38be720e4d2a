package io.sluice.schemas;

/**
 * Wall-clock time spent per stage, in microseconds. Informational only: timings go to the response
 * and to metrics, never into the audit trail or anything replay compares.
 */
public record StageTimings(long embedMicros, long retrieveMicros, long compileMicros, long answerMicros) {}
