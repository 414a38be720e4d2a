/**
 * Benchmarks that measure Sluice against the bare runtime and peer libraries in the same run. They
 * print ratios and write their tables to files; nothing here is a test.
 */
package io.sluice.bench;
