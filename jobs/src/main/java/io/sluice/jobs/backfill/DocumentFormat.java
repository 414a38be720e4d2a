package io.sluice.jobs.backfill;

import io.sluice.schemas.Document;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.IteratorResultIterator;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The backfill's documents as a {@code FileSource} format: each file is one split (markdown and
 * text files are one document; JSONL files, gzipped or not, are read line by line), so task
 * managers read the corpus in parallel and the client never holds it. Document ids of markdown and
 * text files are their paths relative to {@code root}, as {@link DocumentReader} makes them.
 *
 * <p>A restored reader (continuous ingestion after a failure) skips the documents of the file it
 * had emitted, as counted in its checkpointed position; gzipped files cannot seek.
 *
 * <p>A backfill fails on a line or file that is not a document, naming it. Live ingestion
 * ({@code skipBad}) emits a {@link Document#unreadable} naming it in its place, which the index stage
 * logs and counts, and goes on: failing would restart the job into the same file.
 */
public final class DocumentFormat implements BulkFormat<Document, FileSourceSplit> {

    private static final long serialVersionUID = 1L;
    /** Documents per batch handed to Flink. */
    private static final int BATCH = 256;

    private final String root;
    private final String defaultTenant;
    private final boolean skipBad;

    /**
     * @param root the directory (or file) the source reads; ids of markdown and text files are relative to it
     * @param skipBad emit what is not a document as a {@link Document#unreadable} instead of failing
     */
    public DocumentFormat(Path root, String defaultTenant, boolean skipBad) {
        this.root = root.toUri().getPath();
        this.defaultTenant = defaultTenant;
        this.skipBad = skipBad;
    }

    @Override
    public Reader<Document> createReader(Configuration config, FileSourceSplit split) throws IOException {
        return new DocumentFileReader(split, 0);
    }

    @Override
    public Reader<Document> restoreReader(Configuration config, FileSourceSplit split) throws IOException {
        long skip = split.getReaderPosition().map(CheckpointedPosition::getRecordsAfterOffset).orElse(0L);
        return new DocumentFileReader(split, skip);
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<Document> getProducedType() {
        return Document.TYPE;
    }

    /** The id of a markdown or text file: its path below the root (its name when the root is the file). */
    String relativeId(Path file) {
        String path = file.toUri().getPath();
        String base = root.endsWith("/") ? root : root + "/";
        if (path.startsWith(base)) {
            return path.substring(base.length());
        }
        return file.getName();
    }

    private final class DocumentFileReader implements Reader<Document> {
        private final FSDataInputStream in;
        private final Iterator<Document> documents;
        private long emitted;

        DocumentFileReader(FileSourceSplit split, long skip) throws IOException {
            Path file = split.path();
            this.in = file.getFileSystem().open(file);
            try {
                this.documents = DocumentReader.parse(in, file.toString(), relativeId(file), defaultTenant,
                        split.fileModificationTime(), skipBad);
                for (; emitted < skip && documents.hasNext(); emitted++) {
                    documents.next();
                }
            } catch (IOException | RuntimeException e) {
                in.close();
                throw unwrapped(e);
            }
        }

        @Override
        public RecordIterator<Document> readBatch() throws IOException {
            List<Document> batch = new ArrayList<>(BATCH);
            try {
                while (batch.size() < BATCH && documents.hasNext()) {
                    batch.add(documents.next());
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            if (batch.isEmpty()) {
                return null;
            }
            long before = emitted;
            emitted += batch.size();
            return new IteratorResultIterator<>(batch.iterator(), CheckpointedPosition.NO_OFFSET, before);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static IOException unwrapped(Exception e) {
        if (e instanceof UncheckedIOException u) {
            return u.getCause();
        }
        return e instanceof IOException io ? io : new IOException(e.getMessage(), e);
    }
}
