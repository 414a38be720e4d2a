package io.sluice.operators.retrieve;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * A directory of immutable index snapshots: {@code snapshots/<snapshotId>/} holds one Lucene index
 * and its manifest; {@code LATEST} names the promoted snapshot. A snapshot directory appears only
 * complete (written aside, then moved into place), so readers never see a partial one.
 */
public final class IndexStore {

    private static final String LATEST = "LATEST";

    private final Path root;

    public IndexStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path snapshotDir(String snapshotId) {
        return root.resolve("snapshots").resolve(snapshotId);
    }

    public boolean exists(String snapshotId) {
        return Files.isRegularFile(snapshotDir(snapshotId).resolve(SnapshotManifest.FILE_NAME));
    }

    /** The promoted snapshot, if any. */
    public Optional<String> latest() throws IOException {
        Path file = root.resolve(LATEST);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        String id = Files.readString(file, StandardCharsets.US_ASCII).strip();
        return id.isEmpty() ? Optional.empty() : Optional.of(id);
    }

    /** Makes {@code snapshotId} the one serving jobs pick when none is pinned. */
    public void promote(String snapshotId) throws IOException {
        if (!exists(snapshotId)) {
            throw new IOException("Cannot promote unknown snapshot " + snapshotId + " in " + root);
        }
        Path tmp = Files.createTempFile(root, LATEST, ".tmp");
        Files.writeString(tmp, snapshotId + "\n", StandardCharsets.US_ASCII);
        move(tmp, root.resolve(LATEST));
    }

    /**
     * Resolves what a serving job pins: the given id if not blank, else the promoted one.
     *
     * @throws IOException if that snapshot does not exist
     */
    public String resolve(String pinned) throws IOException {
        String id = pinned == null || pinned.isBlank()
                ? latest().orElseThrow(() -> new IOException("No index snapshot in " + root
                        + ": run 'sluice backfill' first or name one"))
                : pinned.strip();
        if (!exists(id)) {
            throw new IOException("Index snapshot " + id + " not found in " + root);
        }
        return id;
    }

    /** A fresh directory beside the snapshots, to be {@link #publish}ed when complete. */
    Path newStagingDir(String snapshotId) throws IOException {
        Files.createDirectories(root.resolve("snapshots"));
        return Files.createTempDirectory(root.resolve("snapshots"), "." + snapshotId + "-");
    }

    void publish(Path staging, String snapshotId) throws IOException {
        move(staging, snapshotDir(snapshotId));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
