package io.sluice.operators.routing;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.routing.RoutingPolicyFile.Version;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * The versions of a routing policy kept in a directory, one per {@code *.json} file
 * ({@link RoutingPolicyFile}, with its {@code version} and {@code effectiveAt}). A turn is routed by
 * the newest version in force at its event time, so the choice derives from the input and replay,
 * which reads the same directory, makes it again. The job changes policy without a restart: a
 * subtask looks for new or changed files on first use after {@code reload} has passed (a listing;
 * unchanged files are not read again). A version that fails to load while the job runs is logged
 * and ignored until its file changes; at the start every file must load.
 *
 * <p>A version must arrive before its {@code effectiveAt}, by more than {@code reload}: one seen
 * later may have been in force for turns a subtask already routed with an older version (logged;
 * replay then reports those turns at the routing stage).
 */
public final class PolicyDirectory implements AnswerModels.Versions {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PolicyDirectory.class);

    private final String dir;
    private final AnswerModels configured;
    private final String defaultModel;
    private final long reloadMillis;
    /** Shipped with the job as loaded at its start; TaskManagers add what appears later. */
    private final ArrayList<Version> versions = new ArrayList<>();
    /** Files read, with the modification time and size they had (a coarse clock may not tell a rewrite). */
    private final TreeMap<String, String> seen = new TreeMap<>();
    private transient long checkedAt;

    private PolicyDirectory(String dir, AnswerModels configured, String defaultModel, Duration reload) {
        this.dir = dir;
        this.configured = configured;
        this.defaultModel = defaultModel;
        this.reloadMillis = reload.toMillis();
    }

    /**
     * The policy versions in {@code dir} over {@code configured} (the models of
     * {@code sluice.answer.*}), each answering requests that name no model with {@code defaultModel}:
     * the newest, with every version behind it. Every file must load.
     */
    public static AnswerModels load(Path dir, AnswerModels configured, String defaultModel, Duration reload)
            throws IOException {
        PolicyDirectory versions = new PolicyDirectory(dir.toString(), configured, defaultModel, reload);
        versions.scan(true);
        if (versions.versions.isEmpty()) {
            throw new IOException("Routing policy directory " + dir + " holds no version (*.json)");
        }
        versions.checkedAt = System.currentTimeMillis();
        return versions.versions.get(versions.versions.size() - 1).models().withVersions(versions);
    }

    @Override
    public synchronized AnswerModels at(long eventTime) {
        long now = System.currentTimeMillis();
        if (now - checkedAt >= reloadMillis) {
            checkedAt = now;
            try {
                scan(false);
            } catch (IOException e) {
                LOG.warn("Routing policy directory {} could not be read ({}); the versions known are kept", dir,
                        e.getMessage());
            }
        }
        return inForce(versions, eventTime);
    }

    /** The newest of {@code versions} (ordered by version) in force at {@code eventTime}, else the oldest. */
    static AnswerModels inForce(List<Version> versions, long eventTime) {
        for (int i = versions.size() - 1; i >= 0; i--) {
            if (versions.get(i).effectiveAt() <= eventTime) {
                return versions.get(i).models();
            }
        }
        return versions.get(0).models();
    }

    @Override
    public synchronized List<AnswerModels> known() {
        return versions.stream().map(Version::models).toList();
    }

    @Override
    public synchronized AnswerModels.Versions map(UnaryOperator<AnswerModels> f) {
        return new Fixed(new ArrayList<>(versions)).map(f);
    }

    /** Versions that no longer change (replay's, with the journal answering remote models). */
    private record Fixed(ArrayList<Version> versions) implements AnswerModels.Versions {
        @Override
        public AnswerModels at(long eventTime) {
            return inForce(versions, eventTime);
        }

        @Override
        public List<AnswerModels> known() {
            return versions.stream().map(Version::models).toList();
        }

        @Override
        public AnswerModels.Versions map(UnaryOperator<AnswerModels> f) {
            return new Fixed(new ArrayList<>(versions.stream()
                    .map(v -> new Version(v.version(), v.effectiveAt(), f.apply(v.models()))).toList()));
        }
    }

    /** Reads new and changed files; {@code strict}: the first one that fails to load fails the scan. */
    private void scan(boolean strict) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(Path.of(dir))) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".json")
                    && !f.getFileName().toString().startsWith(".")).sorted().toList();
        }
        for (Path file : files) {
            String stamp;
            try {
                stamp = Files.getLastModifiedTime(file).toMillis() + ":" + Files.size(file);
            } catch (IOException e) {
                continue; // gone since the listing
            }
            if (stamp.equals(seen.put(file.toString(), stamp))) {
                continue;
            }
            try {
                add(file, strict);
            } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
                if (strict) {
                    throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
                }
                LOG.warn("Routing policy version {} ignored until the file changes: {}", file, e.getMessage());
            }
        }
    }

    private void add(Path file, boolean strict) throws IOException {
        Version loaded = RoutingPolicyFile.loadVersion(file, configured);
        Version version = new Version(loaded.version(), loaded.effectiveAt(),
                loaded.models().withDefaultModel(defaultModel));
        for (Version v : versions) {
            if (v.version() == version.version()) {
                throw new IllegalArgumentException("Routing policy file " + file + ": version " + version.version()
                        + " is already loaded from another file; give the new policy a higher version");
            }
        }
        versions.add(version);
        versions.sort(Comparator.comparingInt(Version::version));
        if (!strict && version.effectiveAt() <= System.currentTimeMillis()) {
            LOG.warn("Routing policy version {} ({}) is in force from {}, which had passed when it was read: turns "
                    + "routed before may have used an older version (replay will report them)", version.version(), file,
                    version.effectiveAt() == Long.MIN_VALUE ? "the start" : Instant.ofEpochMilli(version.effectiveAt()));
        } else {
            LOG.info("Routing policy version {} loaded from {}", version.version(), file);
        }
    }
}
