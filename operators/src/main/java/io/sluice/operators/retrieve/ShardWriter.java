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
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.store.FSDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the Lucene index of one shard from chunks added in (tenant, document, position) order.
 *
 * <p>Determinism: the index must come out the same for the same chunks, whatever the machine, so
 * the writer flushes a segment every {@value #COMMIT_EVERY} chunks (never by RAM use, which is an
 * estimate), merges on the calling thread, and ends merged into one segment. Lucene's HNSW builder
 * is seeded, so the same segments give the same graph, the same doc ids and so the same ranking.
 *
 * <p>Each flush is also a commit: a build that is killed leaves its committed chunks readable,
 * and the next attempt takes their vectors from there instead of embedding them again
 * ({@link EmbeddingReuse}). Memory stays bounded by one flush's worth of chunks.
 */
public final class ShardWriter implements AutoCloseable {

    /** Chunks per segment flush and commit. */
    public static final int COMMIT_EVERY = 4096;
    /** Segments merged at once: beyond this many flushes (a quarter million chunks), merges start early. */
    private static final int MAX_SEGMENTS = 64;

    private final FSDirectory directory;
    private final IndexWriter writer;
    private int added;

    public ShardWriter(Path dir) throws IOException {
        IndexWriterConfig config = new IndexWriterConfig(IndexFields.analyzer())
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
                .setMergeScheduler(new SerialMergeScheduler())
                // No merges while writing: every merge rebuilds HNSW graphs, so the flushed segments
                // are merged once, at the end (forceMerge), which inserts each vector but once more.
                .setMergePolicy(new TieredMergePolicy().setSegmentsPerTier(MAX_SEGMENTS).setMaxMergeAtOnce(MAX_SEGMENTS))
                .setMaxBufferedDocs(COMMIT_EVERY)
                .setRAMBufferSizeMB(IndexWriterConfig.DISABLE_AUTO_FLUSH)
                .setUseCompoundFile(false);
        this.directory = FSDirectory.open(dir);
        this.writer = new IndexWriter(directory, config);
    }

    public void add(EmbeddedChunk chunk) throws IOException {
        writer.addDocument(toLucene(chunk));
        if (++added % COMMIT_EVERY == 0) {
            writer.commit();
        }
    }

    /** Merges into one segment, commits and returns the files with their checksums. */
    public List<SnapshotManifest.IndexFile> finish() throws IOException {
        writer.forceMerge(1);
        writer.commit();
        writer.close();
        return SnapshotManifest.indexFiles(directory);
    }

    @Override
    public void close() throws IOException {
        try {
            if (writer.isOpen()) {
                writer.rollback();
            }
        } finally {
            directory.close();
        }
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
