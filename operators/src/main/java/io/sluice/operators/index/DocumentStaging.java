package io.sluice.operators.index;

import io.sluice.schemas.Document;

import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The documents one backfill task received, on local disk, sorted by (shard, tenant, document id)
 * whatever order they arrived in: a Lucene index used as an external sort (index sorting on a
 * binary key, merged into one segment at {@link #finish}), so memory stays bounded by the writer's
 * buffer however large the corpus.
 *
 * <p>With {@code upserts}, a later record of the same (tenant, id) replaces the earlier one and a
 * {@link Document#deletion} removes it, in arrival order (a Kafka partition's order, which keeps
 * one key's records in the order they were produced). Without, a second record of the same key is
 * an error, named by {@link #documents}: files of a corpus must not disagree about a document.
 */
public final class DocumentStaging implements AutoCloseable {

    private static final String KEY = "key";
    private static final String TENANT = "tenant", ID = "id", TITLE = "title", TEXT = "text", UPDATED = "updated";

    private final Path dir;
    private final boolean upserts;
    private final FSDirectory directory;
    private IndexWriter writer;
    private DirectoryReader reader;
    private int received;

    /** Stages into {@code dir}, which must not exist yet and is deleted by {@link #close}. */
    public DocumentStaging(Path dir, boolean upserts, double bufferMb) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.upserts = upserts;
        this.directory = FSDirectory.open(dir);
        IndexWriterConfig config = new IndexWriterConfig(new KeywordAnalyzer())
                .setIndexSort(new Sort(new SortField(KEY, SortField.Type.STRING)))
                .setMergeScheduler(new SerialMergeScheduler())
                .setRAMBufferSizeMB(bufferMb)
                .setUseCompoundFile(false);
        this.writer = new IndexWriter(directory, config);
    }

    /** Adds (or with upserts, replaces or deletes) a document of shard {@code shard}. */
    public void add(int shard, Document doc) throws IOException {
        if (reader != null) {
            throw new IllegalStateException("staging is finished");
        }
        received++;
        BytesRef key = key(shard, doc.tenantId(), doc.documentId());
        if (doc.deleted()) {
            if (!upserts) {
                throw new IllegalArgumentException("a deletion needs an input of upserts: " + doc.documentId());
            }
            writer.deleteDocuments(new Term(KEY, key));
            return;
        }
        org.apache.lucene.document.Document d = new org.apache.lucene.document.Document();
        d.add(new SortedDocValuesField(KEY, key));
        d.add(new StringField(KEY, key, Field.Store.NO));
        d.add(new StoredField(TENANT, doc.tenantId()));
        d.add(new StoredField(ID, doc.documentId()));
        d.add(new StoredField(TITLE, doc.title() == null ? "" : doc.title()));
        d.add(new StoredField(TEXT, doc.text()));
        d.add(new StoredField(UPDATED, doc.updatedAt()));
        if (upserts) {
            writer.updateDocument(new Term(KEY, key), d);
        } else {
            writer.addDocument(d);
        }
    }

    /** Records received (documents and deletions). */
    public int received() {
        return received;
    }

    /** Ends staging: sorts everything into one segment. */
    public void finish() throws IOException {
        writer.forceMerge(1);
        writer.commit();
        writer.close();
        writer = null;
        reader = DirectoryReader.open(directory);
    }

    /** How many documents are staged (after replacements and deletions); only after {@link #finish}. */
    public int size() {
        return reader.numDocs();
    }

    /**
     * The staged documents of {@code shard} in (tenant, id) order; only after {@link #finish}. Can
     * be called again for a second pass.
     *
     * @throws UncheckedIOException naming the document, when two records of one key were staged without upserts
     */
    public Iterator<Document> documents(int shard) throws IOException {
        var leaves = reader.leaves();
        if (leaves.isEmpty()) {
            return java.util.Collections.emptyIterator();
        }
        var leaf = leaves.get(0).reader();
        StoredFields stored = leaf.storedFields();
        var live = leaf.getLiveDocs();
        byte[] prefix = shardPrefix(shard);
        // The segment is sorted by key, so the shard's documents are one run: find its first.
        int lo = 0, hi = leaf.maxDoc();
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            BytesRef k = keyOf(leaf, mid);
            if (compare(k, prefix) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        int start = lo;
        return new Iterator<>() {
            int next = advance(start);
            BytesRef previous;

            private int advance(int from) {
                int d = from;
                while (d < leaf.maxDoc() && live != null && !live.get(d)) {
                    d++;
                }
                return d;
            }

            @Override
            public boolean hasNext() {
                if (next >= leaf.maxDoc()) {
                    return false;
                }
                return startsWith(keyOf(leaf, next), prefix);
            }

            @Override
            public Document next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                try {
                    BytesRef key = BytesRef.deepCopyOf(keyOf(leaf, next));
                    var d = stored.document(next);
                    Document doc = new Document(d.get(TENANT), d.get(ID), d.get(TITLE), d.get(TEXT),
                            d.getField(UPDATED).numericValue().longValue());
                    if (previous != null && previous.equals(key)) {
                        throw new IOException("Duplicate document id '" + doc.documentId() + "' in tenant '"
                                + doc.tenantId() + "'");
                    }
                    previous = key;
                    next = advance(next + 1);
                    return doc;
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            }
        };
    }

    private static BytesRef keyOf(org.apache.lucene.index.LeafReader leaf, int doc) {
        try {
            // A fresh iterator per lookup: doc values iterators only move forward.
            var keys = leaf.getSortedDocValues(KEY);
            keys.advanceExact(doc);
            return keys.lookupOrd(keys.ordValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static BytesRef key(int shard, String tenant, String id) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(shardPrefix(shard));
        out.writeBytes(tenant.getBytes(StandardCharsets.UTF_8));
        out.write(0);
        out.writeBytes(id.getBytes(StandardCharsets.UTF_8));
        return new BytesRef(out.toByteArray());
    }

    private static byte[] shardPrefix(int shard) {
        return new byte[] {(byte) (shard >>> 8), (byte) shard};
    }

    private static int compare(BytesRef key, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            int a = key.length > i ? key.bytes[key.offset + i] & 0xFF : -1;
            int c = Integer.compare(a, prefix[i] & 0xFF);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static boolean startsWith(BytesRef key, byte[] prefix) {
        return key.length >= prefix.length && compare(key, prefix) == 0;
    }

    @Override
    public void close() throws IOException {
        try {
            if (reader != null) {
                reader.close();
            }
            if (writer != null) {
                writer.rollback();
            }
            directory.close();
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
