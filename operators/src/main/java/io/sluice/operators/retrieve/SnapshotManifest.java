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
 * {@code updatedAt} of its input documents (ISO-8601).
 *
 * <p>A snapshot is {@code shards}: Lucene indexes in subdirectories, each holding the documents
 * whose (tenant, id) hashes to it ({@link #shardOf}), searched together as one index. Each shard
 * lists its files, each with its length and the CRC32 that Lucene keeps in the file's footer; a
 * snapshot whose files do not match is refused ({@link #verify}). Those checksums cover the bytes
 * written, which include Lucene's random segment ids, so two builds of the same input share the
 * snapshot id and shard keys (functions of the input) but not the checksums.
 *
 * <p>Snapshots written before shards have none: their one index lies in the snapshot directory
 * itself, with its files in {@code files} (or none listed, and then not checked).
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
        List<IndexFile> files,
        List<Shard> shards) {

    public static final String FILE_NAME = "manifest.json";

    /** One file of the Lucene index: its name, length in bytes and footer checksum (CRC32, hex). */
    public record IndexFile(String name, long length, String checksum) {}

    /**
     * One shard: the subdirectory {@code name} of the snapshot, and the content address of its input
     * ({@code key}: its documents, chunker, model, and its place among the shards), under which the
     * shard store keeps it for the next snapshot that has the same documents there.
     * {@code embeddedChunks} and {@code reusedEmbeddings} say how its vectors were obtained when it
     * was built.
     */
    public record Shard(String name, String key, int documents, int chunks, int embeddedChunks, int reusedEmbeddings,
            List<String> tenants, String newestUpdate, List<IndexFile> files) {
        public Shard {
            tenants = tenants == null ? List.of() : List.copyOf(tenants);
            files = files == null ? List.of() : List.copyOf(files);
        }
    }

    public SnapshotManifest {
        files = files == null ? List.of() : List.copyOf(files);
        shards = shards == null ? List.of() : List.copyOf(shards);
    }

    /** A manifest without files or shards (tests that need only its fields). */
    public SnapshotManifest(String snapshotId, String createdAt, String embeddingModel, int dimension, String chunker,
            int documents, int chunks, int embeddedChunks, int reusedEmbeddings, List<String> tenants) {
        this(snapshotId, createdAt, embeddingModel, dimension, chunker, documents, chunks, embeddedChunks,
                reusedEmbeddings, tenants, List.of(), List.of());
    }

    /** The manifest of a snapshot made of {@code shards} (in shard order): totals are summed from them. */
    public static SnapshotManifest of(String snapshotId, String embeddingModel, int dimension, String chunker,
            List<Shard> shards) {
        java.util.TreeSet<String> tenants = new java.util.TreeSet<>();
        String newest = "";
        int documents = 0, chunks = 0, embedded = 0, reused = 0;
        for (Shard s : shards) {
            tenants.addAll(s.tenants());
            newest = s.newestUpdate() != null && s.newestUpdate().compareTo(newest) > 0 ? s.newestUpdate() : newest;
            documents += s.documents();
            chunks += s.chunks();
            embedded += s.embeddedChunks();
            reused += s.reusedEmbeddings();
        }
        return new SnapshotManifest(snapshotId, newest.isEmpty() ? java.time.Instant.EPOCH.toString() : newest,
                embeddingModel, dimension, chunker, documents, chunks, embedded, reused, List.copyOf(tenants),
                List.of(), shards);
    }

    /**
     * The content address of a snapshot of {@code shards} (in shard order) made with this chunker
     * and model: the same documents give the same id, whatever the parallelism that built them.
     */
    public static String snapshotId(String embeddingModel, String chunkerFingerprint, List<Shard> shards) {
        java.security.MessageDigest digest = io.sluice.schemas.Hashing.sha256();
        // v3: sharded snapshots, identified by their shards' keys.
        io.sluice.schemas.Hashing.update(digest, "sluice-snapshot-v3");
        io.sluice.schemas.Hashing.update(digest, chunkerFingerprint);
        io.sluice.schemas.Hashing.update(digest, embeddingModel);
        io.sluice.schemas.Hashing.update(digest, Integer.toString(shards.size()));
        for (Shard s : shards) {
            io.sluice.schemas.Hashing.update(digest, s.key());
        }
        return io.sluice.schemas.Hashing.hex(digest).substring(0, 32);
    }

    /** The name of shard {@code index}'s directory in a snapshot. */
    public static String shardName(int index) {
        return String.format(java.util.Locale.ROOT, "shard-%03d", index);
    }

    /** The index {@link #shardName} gave {@code name}. */
    public static int shardIndex(String name) {
        if (!name.matches("shard-[0-9]{3,}")) {
            throw new IllegalArgumentException("Not a shard name: '" + name + "'");
        }
        return Integer.parseInt(name.substring("shard-".length()));
    }

    /**
     * The shard of a document among {@code shardCount}: a hash of its tenant and id, fixed by the
     * input alone (never by parallelism), so a document stays in its shard from one snapshot to the
     * next and an unchanged shard is reused whole.
     */
    public static int shardOf(String tenantId, String documentId, int shardCount) {
        return Math.floorMod(org.apache.flink.util.MathUtils.murmurHash((tenantId + "\u0000" + documentId).hashCode()),
                shardCount);
    }

    /** The directories holding this snapshot's Lucene indexes, in shard order. */
    public List<Path> indexDirs(Path snapshotDir) {
        return shards.isEmpty() ? List.of(snapshotDir)
                : shards.stream().map(s -> snapshotDir.resolve(s.name())).toList();
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
        if (shards.isEmpty()) {
            verify(snapshotDir, files, "", full, problems);
        }
        for (Shard shard : shards) {
            if (!Files.isDirectory(snapshotDir.resolve(shard.name()))) {
                problems.add(shard.name() + " is missing");
            } else {
                verify(snapshotDir.resolve(shard.name()), shard.files(), shard.name() + "/", full, problems);
            }
        }
        return problems;
    }

    private static void verify(Path indexDir, List<IndexFile> files, String prefix, boolean full, List<String> problems)
            throws IOException {
        try (Directory dir = FSDirectory.open(indexDir)) {
            java.util.Set<String> present = java.util.Set.of(dir.listAll());
            for (IndexFile f : files) {
                if (!present.contains(f.name())) {
                    problems.add(prefix + f.name() + " is missing");
                    continue;
                }
                try (IndexInput in = dir.openInput(f.name(), IOContext.READONCE)) {
                    if (in.length() != f.length()) {
                        problems.add(prefix + f.name() + " has " + in.length() + " bytes, the manifest says " + f.length());
                        continue;
                    }
                    long checksum = full ? CodecUtil.checksumEntireFile(in) : CodecUtil.retrieveChecksum(in);
                    if (!Long.toHexString(checksum).equals(f.checksum())) {
                        problems.add(prefix + f.name() + " has checksum " + Long.toHexString(checksum) + ", the manifest says "
                                + f.checksum());
                    }
                } catch (org.apache.lucene.index.CorruptIndexException e) {
                    problems.add(prefix + f.name() + " is corrupt: " + e.getMessage());
                }
            }
        }
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
