/**
 * Building index snapshots at corpus scale without holding the corpus: documents are staged on
 * local disk sorted by shard and key ({@link io.sluice.operators.index.DocumentStaging}), and each
 * shard is chunked, embedded and written in that order ({@link io.sluice.operators.index.ShardBuilder}).
 */
package io.sluice.operators.index;
