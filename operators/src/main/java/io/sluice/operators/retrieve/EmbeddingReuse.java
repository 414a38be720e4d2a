package io.sluice.operators.retrieve;

import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Looks up vectors already computed in an earlier snapshot by content key, so that a backfill
 * re-embeds only chunks whose content (or embedding model) changed.
 */
public final class EmbeddingReuse implements AutoCloseable {

    private final FSDirectory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    private EmbeddingReuse(FSDirectory directory) throws IOException {
        this.directory = directory;
        this.reader = DirectoryReader.open(directory);
        this.searcher = new IndexSearcher(reader);
    }

    public static EmbeddingReuse open(Path snapshotDir) throws IOException {
        return new EmbeddingReuse(FSDirectory.open(snapshotDir));
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
        directory.close();
    }
}
