/** Documents and their sentence-aware chunking for the backfill. Plain Java, no Flink. */
package io.sluice.operators.chunk;
