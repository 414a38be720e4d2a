package io.sluice.operators.index;

import io.sluice.operators.retrieve.IndexStore;
import io.sluice.schemas.Document;

import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexCommit;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;

/**
 * Documents staged on disk for index building: a Lucene index of the documents with a key term
 * (shard, tenant, id), read back in key order by walking the key terms, which Lucene keeps sorted
 * whatever order the documents arrived in. Memory stays bounded by the writer's buffer however
 * large the corpus: an external sort.
 *
 * <p>With {@code upserts}, a later record of the same (tenant, id) replaces the earlier one and a
 * {@link Document#deletion} removes it, in arrival order (a Kafka partition's order keeps one key's
 * records in the order they were produced). Without, a second record of the same key is an error,
 * raised by {@link #documents}: the files of a corpus must not disagree about a document.
 *
 * <p>For live ingestion the staging persists: {@link #commit} records a checkpoint id with the
 * commit, {@link #open} reopens the staging as it was at a checkpoint (later commits, made after the
 * checkpoint the job restores, are dropped), and {@link #at} reads a committed state.
 */
public final class DocumentStaging implements AutoCloseable {

    private static final String KEY = "key";
    private static final String TENANT = "tenant", ID = "id", TITLE = "title", TEXT = "text", UPDATED = "updated";
    private static final String CHECKPOINT = "checkpoint";

    private final Path dir;
    private final boolean upserts;
    private final boolean temporary;
    private final FSDirectory directory;
    private IndexWriter writer;
    private DirectoryReader reader;
    private int received;

    /** Stages afresh into {@code dir}, deleted by {@link #close}. */
    public DocumentStaging(Path dir, boolean upserts, double bufferMb) throws IOException {
        this(dir, upserts, bufferMb, true, null);
    }

    private DocumentStaging(Path dir, boolean upserts, double bufferMb, boolean temporary, Long checkpoint)
            throws IOException {
        this.dir = Files.createDirectories(dir);
        this.upserts = upserts;
        this.temporary = temporary;
        this.directory = FSDirectory.open(dir);
        IndexCommit from = null;
        if (checkpoint != null) {
            from = commit(directory, checkpoint).orElse(null);
            if (from == null && DirectoryReader.indexExists(directory)) {
                directory.close();
                throw new IOException("The staged documents in " + dir + " no longer have checkpoint " + checkpoint
                        + " (only the last " + KEPT_COMMITS + " are kept): start the ingestion afresh, without "
                        + "restoring state");
            }
        }
        IndexWriterConfig config = new IndexWriterConfig(new KeywordAnalyzer())
                .setMergeScheduler(new SerialMergeScheduler())
                .setRAMBufferSizeMB(bufferMb)
                .setUseCompoundFile(false);
        if (temporary) {
            config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        } else {
            // Live: recent commits stay readable (a checkpoint's state is read after the next began,
            // and a job restores one of its last checkpoints); nothing is committed but checkpoints.
            config.setIndexDeletionPolicy(new KeepLastCommits()).setCommitOnClose(false);
            if (from != null) {
                config.setIndexCommit(from).setOpenMode(IndexWriterConfig.OpenMode.APPEND);
            } else {
                config.setOpenMode(IndexWriterConfig.OpenMode.CREATE);
            }
        }
        this.writer = new IndexWriter(directory, config);
    }

    /**
     * The persistent staging in {@code dir} (upserts) as it was committed at {@code checkpoint}, or
     * empty when {@code checkpoint} is null (a job's first start) or was never committed here.
     */
    public static DocumentStaging open(Path dir, double bufferMb, Long checkpoint) throws IOException {
        return new DocumentStaging(dir, true, bufferMb, false, checkpoint);
    }

    /** Commits (checkpoints) kept: a job restored from an older one must start its ingestion afresh. */
    static final int KEPT_COMMITS = 20;

    /** Deletes all but the last {@link #KEPT_COMMITS} commits. */
    private static final class KeepLastCommits extends org.apache.lucene.index.IndexDeletionPolicy {
        @Override
        public void onInit(List<? extends IndexCommit> commits) {
            onCommit(commits);
        }

        @Override
        public void onCommit(List<? extends IndexCommit> commits) {
            for (int i = 0; i < commits.size() - KEPT_COMMITS; i++) {
                commits.get(i).delete();
            }
        }
    }

    private static Optional<IndexCommit> commit(FSDirectory d, long checkpoint) throws IOException {
        if (!DirectoryReader.indexExists(d)) {
            return Optional.empty();
        }
        List<IndexCommit> commits = DirectoryReader.listCommits(d);
        IndexCommit best = null;
        for (IndexCommit c : commits) {
            String at = c.getUserData().get(CHECKPOINT);
            // The last commit at or before the checkpoint: a staging without changes is not committed again.
            if (at != null && Long.parseLong(at) <= checkpoint
                    && (best == null || Long.parseLong(best.getUserData().get(CHECKPOINT)) <= Long.parseLong(at))) {
                best = c;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Adds (or with upserts, replaces or deletes) a document of shard {@code shard}. */
    public void add(int shard, Document doc) throws IOException {
        if (reader != null && temporary) {
            throw new IllegalStateException("staging is finished");
        }
        received++;
        BytesRef key = key(shard, doc.tenantId(), doc.documentId());
        if (doc.deleted()) {
            if (!upserts) {
                throw new IllegalArgumentException("A deletion needs an input of upserts (a Kafka topic): document '"
                        + doc.documentId() + "' of tenant '" + doc.tenantId() + "'");
            }
            writer.deleteDocuments(new Term(KEY, key));
            return;
        }
        org.apache.lucene.document.Document d = new org.apache.lucene.document.Document();
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

    /** Commits what was staged, marked with {@code checkpoint}. */
    public void commit(long checkpoint) throws IOException {
        writer.setLiveCommitData(Map.of(CHECKPOINT, Long.toString(checkpoint)).entrySet());
        writer.commit();
    }

    /** The staging as committed at {@code checkpoint} (close it after use), if it was. */
    public Optional<Committed> at(long checkpoint) throws IOException {
        Optional<IndexCommit> commit = commit(directory, checkpoint);
        return commit.isEmpty() ? Optional.empty() : Optional.of(new Committed(DirectoryReader.open(commit.get())));
    }

    /** Ends staging: commits and opens what was staged for {@link #documents}. */
    public void finish() throws IOException {
        writer.commit();
        writer.close();
        writer = null;
        reader = DirectoryReader.open(directory);
    }

    /** How many documents are staged (after replacements and deletions); only after {@link #finish}. */
    public int size() {
        return reader.numDocs();
    }

    /** The staged documents of {@code shard} in (tenant, id) order; only after {@link #finish}. */
    public Iterator<Document> documents(int shard) throws IOException {
        return documents(reader, shard);
    }

    /** A committed state of the staging. */
    public static final class Committed implements AutoCloseable {
        private final DirectoryReader reader;

        private Committed(DirectoryReader reader) {
            this.reader = reader;
        }

        public Iterator<Document> documents(int shard) throws IOException {
            return DocumentStaging.documents(reader, shard);
        }

        @Override
        public void close() throws IOException {
            reader.close();
        }
    }

    /**
     * The documents of {@code shard} in key order, by walking the key terms from the shard's prefix;
     * can be called again for a second pass.
     *
     * @throws UncheckedIOException naming the document, when one key has two live documents
     */
    private static Iterator<Document> documents(DirectoryReader reader, int shard) throws IOException {
        Terms terms = MultiTerms.getTerms(reader, KEY);
        if (terms == null) {
            return Collections.emptyIterator();
        }
        TermsEnum keys = terms.iterator();
        byte[] prefix = shardPrefix(shard);
        if (keys.seekCeil(new BytesRef(prefix)) == TermsEnum.SeekStatus.END) {
            return Collections.emptyIterator();
        }
        Bits live = org.apache.lucene.index.MultiBits.getLiveDocs(reader);
        StoredFields stored = reader.storedFields();
        return new Iterator<>() {
            private Document next;
            private boolean exhausted;
            private PostingsEnum postings;

            @Override
            public boolean hasNext() {
                if (next != null) {
                    return true;
                }
                try {
                    while (!exhausted) {
                        BytesRef key = keys.term();
                        if (key == null || !startsWith(key, prefix)) {
                            exhausted = true;
                            return false;
                        }
                        int found = -1;
                        postings = org.apache.lucene.index.MultiTerms.getTermPostingsEnum(reader, KEY, key,
                                PostingsEnum.NONE);
                        for (int d = postings.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = postings.nextDoc()) {
                            if (live != null && !live.get(d)) {
                                continue;
                            }
                            if (found >= 0) {
                                var doc = stored.document(d);
                                throw new IOException("Duplicate document id '" + doc.get(ID) + "' in tenant '"
                                        + doc.get(TENANT) + "'");
                            }
                            found = d;
                        }
                        exhausted = keys.next() == null;
                        if (found >= 0) {
                            var d = stored.document(found);
                            next = new Document(d.get(TENANT), d.get(ID), d.get(TITLE), d.get(TEXT),
                                    d.getField(UPDATED).numericValue().longValue());
                            return true;
                        }
                    }
                    return false;
                } catch (IOException e) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
            }

            @Override
            public Document next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Document d = next;
                next = null;
                return d;
            }
        };
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

    private static boolean startsWith(BytesRef key, byte[] prefix) {
        if (key.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key.bytes[key.offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        try {
            if (reader != null) {
                reader.close();
            }
            if (writer != null) {
                if (temporary) {
                    writer.rollback();
                } else {
                    writer.close();
                }
            }
            directory.close();
        } finally {
            if (temporary) {
                IndexStore.deleteTree(dir);
            }
        }
    }
}
