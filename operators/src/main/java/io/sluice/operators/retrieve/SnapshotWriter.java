package io.sluice.operators.retrieve;

import io.sluice.schemas.EmbeddedChunk;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * Writes a one-shard snapshot from chunks in memory: for tests and small tools. Backfills build
 * snapshots shard by shard without holding them ({@code io.sluice.operators.index.ShardBuilder}).
 */
public final class SnapshotWriter {

    private SnapshotWriter() {}

    /** Writes and publishes {@code chunks} as snapshot {@code manifest.snapshotId()}, whose counts it keeps. */
    public static void write(IndexStore store, SnapshotManifest manifest, List<EmbeddedChunk> chunks)
            throws IOException {
        List<EmbeddedChunk> ordered = new ArrayList<>(chunks);
        ordered.sort(Comparator.comparing((EmbeddedChunk c) -> c.chunk().tenantId())
                .thenComparing(c -> c.chunk().documentId())
                .thenComparingInt(c -> c.chunk().position()));
        String key = manifest.snapshotId();
        Path building = store.shardBuildDir(key);
        List<SnapshotManifest.IndexFile> files;
        try (ShardWriter writer = new ShardWriter(building)) {
            for (EmbeddedChunk c : ordered) {
                writer.add(c);
            }
            files = writer.finish();
        }
        TreeSet<String> tenants = new TreeSet<>(manifest.tenants());
        chunks.forEach(c -> tenants.add(c.chunk().tenantId()));
        SnapshotManifest.Shard shard = new SnapshotManifest.Shard(SnapshotManifest.shardName(0), key,
                manifest.documents(), manifest.chunks(), manifest.embeddedChunks(), manifest.reusedEmbeddings(),
                List.copyOf(tenants), manifest.createdAt(), files);
        store.publishShard(building, shard);
        store.publishSnapshot(new SnapshotManifest(manifest.snapshotId(), manifest.createdAt(),
                manifest.embeddingModel(), manifest.dimension(), manifest.chunker(), manifest.documents(),
                manifest.chunks(), manifest.embeddedChunks(), manifest.reusedEmbeddings(), List.copyOf(tenants),
                List.of(), List.of(shard)));
    }
}
