/**
 * Index snapshots and hybrid retrieval: the Lucene schema, the snapshot store and writer, BM25 and
 * HNSW search and their fusion (convex or reciprocal rank), per-tenant filtering. Plain Java, no Flink.
 */
package io.sluice.operators.retrieve;
