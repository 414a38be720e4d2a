/**
 * Real Kafka and PostgreSQL servers started in-process from Maven Central artifacts, for the local
 * demo and the tests. Not part of the shaded job jar.
 */
package io.sluice.jobs.local;
