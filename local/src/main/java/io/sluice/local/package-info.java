/**
 * Sluice on one machine: real Kafka and PostgreSQL servers started in-process from Maven Central
 * artifacts, a standalone Flink cluster of real processes ({@link io.sluice.local.LocalCluster}) and
 * a Kafka chat client, for the demo, the CLI, the benchmarks and the tests. A module of its own, so
 * that none of it reaches the shaded job jar.
 */
package io.sluice.local;
