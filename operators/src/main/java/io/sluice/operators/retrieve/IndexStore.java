package io.sluice.operators.retrieve;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A directory of immutable index snapshots: {@code snapshots/<snapshotId>/} holds a manifest and
 * one subdirectory per shard; {@code LATEST} names the promoted snapshot, and {@code PROMOTIONS} is
 * the append-only log of every promotion with the event time it takes effect from. A snapshot
 * directory appears only complete (written aside, then moved into place), so readers never see a
 * partial one.
 *
 * <p>{@code shards/<key>/} is the shard store: every shard a backfill finished, under the content
 * address of its input, with {@code shard.json}. A snapshot's shard directories are hard links to
 * these files (copies where the file system has no links), so a snapshot directory is complete on
 * its own, deleting it never touches another, and a shard whose documents did not change is built
 * once and shared by every snapshot that has it. A backfill that is stopped resumes from the shards
 * it finished ({@code .building-<key>} holds the one it was writing).
 *
 * <p>A promotion takes effect {@link #PROMOTION_LEAD} after it is logged: serving jobs that follow
 * promotions ({@link SnapshotSchedule}) read the log again before they serve a turn whose event time
 * could fall after a promotion they have not read yet, so every turn gets the snapshot the log names
 * for its event time, live and in replay alike.
 */
public final class IndexStore {

    private static final String LATEST = "LATEST";
    private static final String PROMOTIONS = "PROMOTIONS";
    private static final String SHARD_FILE = "shard.json";
    /** Unreferenced shards younger than this survive gc: a running backfill may be about to reference them. */
    static final Duration SHARD_GRACE = Duration.ofHours(1);

    /**
     * How long after it is logged a promotion takes effect. Serving jobs re-read the log when a turn's
     * event time comes within {@link #PROMOTION_LEAD} minus a second of their last read, so clocks of
     * the promoting host and the TaskManagers may differ by up to a second.
     */
    public static final Duration PROMOTION_LEAD = Duration.ofSeconds(3);

    /** One line of the promotion log: {@code snapshotId} serves turns from event time {@code effectiveFrom} (epoch ms). */
    public record Promotion(String snapshotId, long effectiveFrom) {}

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

    /**
     * Makes {@code snapshotId} the one serving jobs pick when none is pinned: {@code LATEST} at once
     * (for jobs that start from now on), and in the promotion log from {@link #PROMOTION_LEAD} from
     * now (for running jobs that follow promotions).
     *
     * @return the promotion as logged
     */
    public Promotion promote(String snapshotId) throws IOException {
        if (!exists(snapshotId)) {
            throw new IOException("Cannot promote unknown snapshot " + snapshotId + " in " + root);
        }
        Optional<String> before = latest();
        // One promoter at a time, so the log's lines and LATEST agree.
        try (FileChannel lock = FileChannel.open(root.resolve(PROMOTIONS + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock held = lock.lock()) {
            Path log = root.resolve(PROMOTIONS);
            StringBuilder lines = new StringBuilder();
            if (!Files.exists(log) && before.isPresent()) {
                // A store from before the log: its promoted snapshot has served since the beginning.
                lines.append(0).append(' ').append(before.get()).append('\n');
            }
            Promotion promotion = new Promotion(snapshotId, System.currentTimeMillis() + PROMOTION_LEAD.toMillis());
            lines.append(promotion.effectiveFrom()).append(' ').append(snapshotId).append('\n');
            Files.writeString(log, lines, StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            Path tmp = Files.createTempFile(root, LATEST, ".tmp");
            Files.writeString(tmp, snapshotId + "\n", StandardCharsets.US_ASCII);
            move(tmp, root.resolve(LATEST));
            return promotion;
        }
    }

    /** When each snapshot that was ever promoted last took effect (epoch ms), by id. */
    public java.util.Map<String, Long> lastPromoted() throws IOException {
        java.util.Map<String, Long> last = new java.util.HashMap<>();
        for (Promotion p : promotions()) {
            last.merge(p.snapshotId(), p.effectiveFrom(), Math::max);
        }
        return last;
    }

    /**
     * Every promotion, in log order. A store without a log (written before it existed) has one: its
     * {@code LATEST}, in effect from the beginning of time.
     */
    public List<Promotion> promotions() throws IOException {
        Path log = root.resolve(PROMOTIONS);
        if (!Files.isRegularFile(log)) {
            return latest().map(id -> List.of(new Promotion(id, 0))).orElse(List.of());
        }
        List<Promotion> out = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.US_ASCII)) {
            String[] parts = line.strip().split(" ");
            if (parts.length != 2) {
                continue; // a line cut short by a crash mid-append: that promotion never completed
            }
            try {
                out.add(new Promotion(parts[1], Long.parseLong(parts[0])));
            } catch (NumberFormatException e) {
                // as above
            }
        }
        return out;
    }

    /** The size of the promotion log in bytes (0 without one): followers re-read it only when it grew. */
    long promotionLogSize() throws IOException {
        Path log = root.resolve(PROMOTIONS);
        return Files.isRegularFile(log) ? Files.size(log) : 0;
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

    /** Every snapshot in the store, by id (complete ones only; staging directories are not listed). */
    public List<String> snapshotIds() throws IOException {
        Path dir = root.resolve("snapshots");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(id -> !id.startsWith(".") && exists(id))
                    .sorted().toList();
        }
    }

    /** What {@link #collectGarbage} kept and deleted, and the shards no kept snapshot references that it deleted. */
    public record Collected(List<String> kept, List<String> deleted, List<String> deletedShards) {}

    /** The shard store's directory of the shard with content address {@code key}. */
    public Path shardDir(String key) {
        return root.resolve("shards").resolve(key);
    }

    /** The finished shard {@code key}, if the shard store has it. */
    public Optional<SnapshotManifest.Shard> shard(String key) throws IOException {
        Path file = shardDir(key).resolve(SHARD_FILE);
        return Files.isRegularFile(file) ? Optional.of(JSON.readValue(file.toFile(), SnapshotManifest.Shard.class))
                : Optional.empty();
    }

    /**
     * Where shard {@code key} is written before {@link #publishShard}: a fixed name, so that a build
     * stopped part-way leaves its committed chunks where the next attempt finds them.
     */
    public Path shardBuildDir(String key) throws IOException {
        Files.createDirectories(root.resolve("shards"));
        return root.resolve("shards").resolve(".building-" + key);
    }

    /**
     * The partly written shard {@code key} a stopped build left, moved aside for the next attempt to
     * take vectors from (of two stopped attempts, the one that got further), if any.
     */
    public Optional<Path> resumeShard(String key) throws IOException {
        Path building = shardBuildDir(key);
        Path resume = building.resolveSibling(".resume-" + key);
        if (Files.isDirectory(building)) {
            if (Files.isDirectory(resume) && committedDocs(resume) >= committedDocs(building)) {
                deleteTree(building);
            } else {
                if (Files.isDirectory(resume)) {
                    deleteTree(resume);
                }
                move(building, resume);
            }
        }
        return Files.isDirectory(resume) ? Optional.of(resume) : Optional.empty();
    }

    /** Deletes what {@link #resumeShard} set aside, once shard {@code key} is published. */
    public void shardResumed(String key) throws IOException {
        Path resume = root.resolve("shards").resolve(".resume-" + key);
        if (Files.isDirectory(resume)) {
            deleteTree(resume);
        }
    }

    private static int committedDocs(Path indexDir) throws IOException {
        try (var dir = org.apache.lucene.store.FSDirectory.open(indexDir)) {
            if (!org.apache.lucene.index.DirectoryReader.indexExists(dir)) {
                return 0;
            }
            try (var reader = org.apache.lucene.index.DirectoryReader.open(dir)) {
                return reader.numDocs();
            }
        }
    }

    /** Moves a finished shard from {@code building} into the shard store, with {@code shard} as its description. */
    public void publishShard(Path building, SnapshotManifest.Shard shard) throws IOException {
        JSON.writeValue(building.resolve(SHARD_FILE).toFile(), shard);
        if (Files.isDirectory(shardDir(shard.key()))) {
            // Built twice (two backfills of the same input at once): the first stays.
            deleteTree(building);
            return;
        }
        move(building, shardDir(shard.key()));
    }

    /**
     * Writes snapshot {@code manifest.snapshotId()} from its shards in the shard store (each linked
     * into its directory, as listed in the shard store) and publishes it complete.
     */
    public void publishSnapshot(SnapshotManifest manifest) throws IOException {
        Path staging = newStagingDir(manifest.snapshotId());
        for (SnapshotManifest.Shard shard : manifest.shards()) {
            Path into = Files.createDirectories(staging.resolve(shard.name()));
            for (SnapshotManifest.IndexFile f : shard.files()) {
                Path source = shardDir(shard.key()).resolve(f.name());
                try {
                    Files.createLink(into.resolve(f.name()), source);
                } catch (UnsupportedOperationException | IOException e) {
                    Files.copy(source, into.resolve(f.name()));
                }
            }
        }
        manifest.write(staging);
        if (exists(manifest.snapshotId())) {
            deleteTree(staging);
            return;
        }
        publish(staging, manifest.snapshotId());
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);

    /**
     * Deletes the snapshots serving no longer needs: all but the {@code keep} most recently promoted
     * (by the time their last promotion took effect; never-promoted ones count as older than all).
     * Never deleted: LATEST, a snapshot whose promotion has not taken effect yet, and the ones in
     * {@code protect} (snapshots jobs pinned by id). A snapshot is first renamed out of sight, so
     * no new reader finds it half-deleted; readers that have it open keep their open files.
     *
     * @param dryRun only report what would be deleted
     */
    public Collected collectGarbage(int keep, java.util.Collection<String> protect, boolean dryRun) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1 (the promoted snapshot), got " + keep);
        }
        java.util.Map<String, Long> lastPromoted = lastPromoted();
        long now = System.currentTimeMillis();
        java.util.Set<String> kept = new java.util.TreeSet<>(protect);
        latest().ifPresent(kept::add);
        lastPromoted.forEach((id, from) -> {
            if (from > now) {
                kept.add(id);
            }
        });
        List<String> byRecency = new ArrayList<>(snapshotIds());
        byRecency.sort(java.util.Comparator.comparingLong((String id) -> lastPromoted.getOrDefault(id, Long.MIN_VALUE))
                .reversed().thenComparing(java.util.Comparator.naturalOrder()));
        kept.addAll(byRecency.subList(0, Math.min(keep, byRecency.size())));
        List<String> deleted = byRecency.stream().filter(id -> !kept.contains(id)).toList();
        if (!dryRun) {
            for (String id : deleted) {
                Path gone = root.resolve("snapshots").resolve(".deleting-" + id);
                move(snapshotDir(id), gone);
                deleteTree(gone);
            }
        }
        List<String> keptIds = byRecency.stream().filter(kept::contains).toList();
        return new Collected(keptIds, deleted, collectShards(keptIds, dryRun));
    }

    /** Deletes the shards no snapshot in {@code kept} references, unless they are younger than {@link #SHARD_GRACE}. */
    private List<String> collectShards(List<String> kept, boolean dryRun) throws IOException {
        Path dir = root.resolve("shards");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        java.util.Set<String> referenced = new java.util.HashSet<>();
        for (String id : kept) {
            SnapshotManifest.read(snapshotDir(id)).shards().forEach(s -> referenced.add(s.key()));
        }
        long cutoff = System.currentTimeMillis() - SHARD_GRACE.toMillis();
        List<String> deleted = new ArrayList<>();
        try (var entries = Files.list(dir)) {
            for (Path shard : entries.sorted().toList()) {
                String key = shard.getFileName().toString();
                if (key.startsWith(".") || referenced.contains(key)
                        || Files.getLastModifiedTime(shard).toMillis() > cutoff) {
                    continue;
                }
                deleted.add(key);
                if (!dryRun) {
                    Path gone = dir.resolve(".deleting-" + key);
                    move(shard, gone);
                    deleteTree(gone);
                }
            }
        }
        return deleted;
    }

    /** Deletes {@code dir} and everything under it, if it exists. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
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
