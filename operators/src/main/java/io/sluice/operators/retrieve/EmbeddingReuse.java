package io.sluice.operators.retrieve;

import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Looks up vectors already computed by content key: in an earlier snapshot, so that a backfill
 * re-embeds only chunks whose content (or embedding model) changed, or in the committed part of a
 * shard whose build was stopped, so that the next attempt does not embed them again.
 */
public final class EmbeddingReuse implements AutoCloseable {

    private final List<FSDirectory> directories = new ArrayList<>();
    private final IndexReader reader;
    private final IndexSearcher searcher;

    private EmbeddingReuse(List<Path> indexDirs) throws IOException {
        this.reader = HybridSearcher.open(indexDirs, directories);
        this.searcher = new IndexSearcher(reader);
    }

    /** Vectors of the snapshot in {@code snapshotDir} (all its shards). */
    public static EmbeddingReuse open(Path snapshotDir) throws IOException {
        return new EmbeddingReuse(SnapshotManifest.read(snapshotDir).indexDirs(snapshotDir));
    }

    /** Vectors of the last commit of the Lucene index in {@code indexDir}, if it has one. */
    public static Optional<EmbeddingReuse> openCommitted(Path indexDir) throws IOException {
        try (FSDirectory dir = FSDirectory.open(indexDir)) {
            if (!DirectoryReader.indexExists(dir)) {
                return Optional.empty();
            }
        }
        return Optional.of(new EmbeddingReuse(List.of(indexDir)));
    }

    /** How many chunks it has vectors for. */
    public int size() {
        return reader.numDocs();
    }

    public Optional<float[]> find(String contentKey) throws IOException {
        TopDocs hits = searcher.search(new TermQuery(new Term(IndexFields.CONTENT_KEY, contentKey)), 1);
        if (hits.scoreDocs.length == 0) {
            return Optional.empty();
        }
        int doc = hits.scoreDocs[0].doc;
        LeafReaderContext leaf = reader.leaves().get(
                org.apache.lucene.index.ReaderUtil.subIndex(doc, reader.leaves()));
        FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexFields.VECTOR);
        int local = doc - leaf.docBase;
        if (values == null || values.advance(local) != local) {
            return Optional.empty();
        }
        return Optional.of(values.vectorValue().clone());
    }

    @Override
    public void close() throws IOException {
        reader.close();
        for (FSDirectory directory : directories) {
            directory.close();
        }
    }
}
