package io.sluice.operators.retrieve;

import io.sluice.schemas.Chunk;
import io.sluice.schemas.EmbeddedChunk;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.FSDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Writes one immutable index snapshot. Chunks are added in (tenant, document, position) order by a
 * single thread and merged into one segment, so the same chunks always give the same doc ids and
 * the same HNSW graph, and search results replay exactly.
 */
public final class SnapshotWriter {

    private SnapshotWriter() {}

    public static void write(IndexStore store, SnapshotManifest manifest, List<EmbeddedChunk> chunks)
            throws IOException {
        List<EmbeddedChunk> ordered = new ArrayList<>(chunks);
        ordered.sort(Comparator.comparing((EmbeddedChunk c) -> c.chunk().tenantId())
                .thenComparing(c -> c.chunk().documentId())
                .thenComparingInt(c -> c.chunk().position()));
        Path staging = store.newStagingDir(manifest.snapshotId());
        IndexWriterConfig config = new IndexWriterConfig(IndexFields.analyzer())
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                .setMergeScheduler(new SerialMergeScheduler())
                .setRAMBufferSizeMB(256)
                .setUseCompoundFile(false);
        try (FSDirectory dir = FSDirectory.open(staging); IndexWriter writer = new IndexWriter(dir, config)) {
            for (EmbeddedChunk embedded : ordered) {
                writer.addDocument(toLucene(embedded));
            }
            writer.forceMerge(1);
            writer.commit();
        }
        SnapshotManifest complete;
        try (FSDirectory dir = FSDirectory.open(staging)) {
            complete = manifest.withFiles(SnapshotManifest.indexFiles(dir));
        }
        complete.write(staging);
        store.publish(staging, complete.snapshotId());
    }

    private static Document toLucene(EmbeddedChunk embedded) {
        Chunk c = embedded.chunk();
        Document doc = new Document();
        doc.add(new StringField(IndexFields.CHUNK_ID, c.chunkId(), Field.Store.YES));
        doc.add(new StringField(IndexFields.TENANT_ID, c.tenantId(), Field.Store.YES));
        doc.add(new StringField(IndexFields.DOCUMENT_ID, c.documentId(), Field.Store.YES));
        doc.add(new StoredField(IndexFields.TITLE, c.title() == null ? "" : c.title()));
        doc.add(new StoredField(IndexFields.TEXT, c.text()));
        String content = c.title() == null ? c.text() : c.title() + "\n" + c.text();
        doc.add(new TextField(IndexFields.CONTENT, content, Field.Store.NO));
        doc.add(new KnnFloatVectorField(IndexFields.VECTOR, embedded.vector(),
                VectorSimilarityFunction.DOT_PRODUCT));
        doc.add(new StringField(IndexFields.CONTENT_KEY, embedded.contentKey(), Field.Store.YES));
        doc.add(new StoredField(IndexFields.TOKENS, c.tokens()));
        return doc;
    }
}
