/**
 * Dynamic micro-batching: the buffer and the per-batch function that
 * {@link io.sluice.operators.flink.MicroBatchOperator} drives, and the batch functions of the
 * embedding stages.
 */
package io.sluice.operators.batch;
