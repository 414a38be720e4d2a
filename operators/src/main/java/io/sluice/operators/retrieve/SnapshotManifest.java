package io.sluice.operators.retrieve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexInput;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an index snapshot holds and how it was made. {@code createdAt} is the newest
 * {@code updatedAt} of its input documents (ISO-8601). {@code files} lists the Lucene files the
 * writer left, each with its length and the CRC32 that Lucene keeps in the file's footer; a snapshot
 * whose files do not match is refused ({@link #verify}). Those checksums cover the bytes written,
 * which include Lucene's random segment ids, so two builds of the same input share the snapshot id
 * (a function of the input) but not the checksums. Manifests written before files were listed have
 * none, and are not checked.
 */
public record SnapshotManifest(
        String snapshotId,
        String createdAt,
        String embeddingModel,
        int dimension,
        String chunker,
        int documents,
        int chunks,
        int embeddedChunks,
        int reusedEmbeddings,
        List<String> tenants,
        List<IndexFile> files) {

    public static final String FILE_NAME = "manifest.json";

    /** One file of the Lucene index: its name, length in bytes and footer checksum (CRC32, hex). */
    public record IndexFile(String name, long length, String checksum) {}

    public SnapshotManifest {
        files = files == null ? List.of() : List.copyOf(files);
    }

    /** A manifest without the file list (it is added by {@link SnapshotWriter} once the files exist). */
    public SnapshotManifest(String snapshotId, String createdAt, String embeddingModel, int dimension, String chunker,
            int documents, int chunks, int embeddedChunks, int reusedEmbeddings, List<String> tenants) {
        this(snapshotId, createdAt, embeddingModel, dimension, chunker, documents, chunks, embeddedChunks,
                reusedEmbeddings, tenants, List.of());
    }

    public SnapshotManifest withFiles(List<IndexFile> indexFiles) {
        return new SnapshotManifest(snapshotId, createdAt, embeddingModel, dimension, chunker, documents, chunks,
                embeddedChunks, reusedEmbeddings, tenants, indexFiles);
    }

    /** The index files in {@code dir}, by name, with their lengths and footer checksums. */
    static List<IndexFile> indexFiles(Directory dir) throws IOException {
        List<IndexFile> out = new ArrayList<>();
        for (String name : dir.listAll()) {
            if (name.equals(FILE_NAME) || name.equals(IndexWriter.WRITE_LOCK_NAME)) {
                continue;
            }
            try (IndexInput in = dir.openInput(name, IOContext.READONCE)) {
                out.add(new IndexFile(name, in.length(), Long.toHexString(CodecUtil.retrieveChecksum(in))));
            }
        }
        out.sort(java.util.Comparator.comparing(IndexFile::name));
        return out;
    }

    /**
     * What is wrong with the files of the snapshot in {@code snapshotDir} against this manifest: a
     * listed file missing, of another length, or with another footer checksum (empty when all match,
     * or when the manifest lists no files). With {@code full}, every byte is checksummed too, which
     * reads the whole index; without, only lengths and footers are read.
     */
    public List<String> verify(Path snapshotDir, boolean full) throws IOException {
        List<String> problems = new ArrayList<>();
        try (Directory dir = FSDirectory.open(snapshotDir)) {
            java.util.Set<String> present = java.util.Set.of(dir.listAll());
            for (IndexFile f : files) {
                if (!present.contains(f.name())) {
                    problems.add(f.name() + " is missing");
                    continue;
                }
                try (IndexInput in = dir.openInput(f.name(), IOContext.READONCE)) {
                    if (in.length() != f.length()) {
                        problems.add(f.name() + " has " + in.length() + " bytes, the manifest says " + f.length());
                        continue;
                    }
                    long checksum = full ? CodecUtil.checksumEntireFile(in) : CodecUtil.retrieveChecksum(in);
                    if (!Long.toHexString(checksum).equals(f.checksum())) {
                        problems.add(f.name() + " has checksum " + Long.toHexString(checksum) + ", the manifest says "
                                + f.checksum());
                    }
                } catch (org.apache.lucene.index.CorruptIndexException e) {
                    problems.add(f.name() + " is corrupt: " + e.getMessage());
                }
            }
        }
        return problems;
    }

    /** Reads the manifest of {@code snapshotDir} and checks its files' lengths and footers; throws what is wrong. */
    public static SnapshotManifest readVerified(Path snapshotDir) throws IOException {
        SnapshotManifest manifest = read(snapshotDir);
        List<String> problems = manifest.verify(snapshotDir, false);
        if (!problems.isEmpty()) {
            throw new IOException("Index snapshot " + manifest.snapshotId() + " does not match its manifest: "
                    + String.join("; ", problems.subList(0, Math.min(5, problems.size())))
                    + (problems.size() > 5 ? "; and " + (problems.size() - 5) + " more" : ""));
        }
        return manifest;
    }

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public void write(Path snapshotDir) throws IOException {
        MAPPER.writeValue(snapshotDir.resolve(FILE_NAME).toFile(), this);
    }

    public static SnapshotManifest read(Path snapshotDir) throws IOException {
        Path file = snapshotDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IOException(snapshotDir + " is not an index snapshot: no " + FILE_NAME);
        }
        return MAPPER.readValue(file.toFile(), SnapshotManifest.class);
    }
}
