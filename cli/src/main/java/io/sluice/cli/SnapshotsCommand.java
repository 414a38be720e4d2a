package io.sluice.cli;

import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code sluice snapshots list|promote|gc}: the index snapshots of a store. */
@Command(name = "snapshots", mixinStandardHelpOptions = true,
        description = "List, promote and garbage-collect the index snapshots of a store.",
        subcommands = {SnapshotsCommand.ListSnapshots.class, SnapshotsCommand.Promote.class, SnapshotsCommand.Verify.class,
            SnapshotsCommand.Gc.class})
final class SnapshotsCommand implements Runnable {

    @Option(names = "--index-dir", required = true, scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "Directory of index snapshots.")
    Path indexDir;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    IndexStore store() {
        return new IndexStore(indexDir);
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Every snapshot: id, when it was last promoted to take effect, model, documents and chunks.")
    static final class ListSnapshots implements Callable<Integer> {
        @ParentCommand
        SnapshotsCommand parent;

        @Override
        public Integer call() throws Exception {
            IndexStore store = parent.store();
            Map<String, Long> promoted = store.lastPromoted();
            String latest = store.latest().orElse(null);
            PrintWriter out = parent.spec.commandLine().getOut();
            out.println("snapshot                          promoted (in effect from)  model                                documents  chunks  shards");
            for (String id : store.snapshotIds()) {
                SnapshotManifest m = SnapshotManifest.read(store.snapshotDir(id));
                Long from = promoted.get(id);
                out.printf("%-32s  %-25s  %-35s  %9d  %6d  %6d%s%n", id, from == null ? "never" : Instant.ofEpochMilli(from),
                        m.embeddingModel(), m.documents(), m.chunks(), Math.max(1, m.shards().size()),
                        id.equals(latest) ? "  LATEST" : "");
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Promote an existing snapshot (a rollback, say): new jobs pin it, running jobs that follow "
                    + "promotions switch to it for turns from a few seconds from now.")
    static final class Promote implements Callable<Integer> {
        @ParentCommand
        SnapshotsCommand parent;

        @Parameters(index = "0", description = "Snapshot id.")
        String snapshotId;

        @Override
        public Integer call() throws Exception {
            IndexStore.Promotion promotion = parent.store().promote(snapshotId);
            parent.spec.commandLine().getOut().printf("promoted %s, in effect from %s%n", snapshotId,
                    Instant.ofEpochMilli(promotion.effectiveFrom()));
            parent.spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check a snapshot's files against its manifest: names, lengths and checksums. Exit code 1 "
                    + "when they differ.")
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        SnapshotsCommand parent;

        @Parameters(index = "0", description = "Snapshot id.")
        String snapshotId;

        @Option(names = "--footers-only", description = "Read only lengths and the checksums in the files' footers "
                + "(what serving checks at open) instead of every byte.")
        boolean footersOnly;

        @Override
        public Integer call() throws Exception {
            Path snapshot = parent.store().snapshotDir(snapshotId);
            SnapshotManifest manifest = SnapshotManifest.read(snapshot);
            List<String> problems = manifest.verify(snapshot, !footersOnly);
            PrintWriter out = parent.spec.commandLine().getOut();
            int files = manifest.files().size() + manifest.shards().stream().mapToInt(sh -> sh.files().size()).sum();
            if (files == 0) {
                out.println(snapshotId + ": its manifest lists no files (written before they were listed); nothing to check");
            } else if (problems.isEmpty()) {
                out.printf("%s: %d files%s match the manifest (%s)%n", snapshotId, files,
                        manifest.shards().isEmpty() ? "" : " in " + manifest.shards().size() + " shards",
                        footersOnly ? "lengths and footers" : "every byte");
            } else {
                problems.forEach(p -> out.println(snapshotId + ": " + p));
            }
            out.flush();
            return problems.isEmpty() ? 0 : 1;
        }
    }

    @Command(name = "gc", mixinStandardHelpOptions = true,
            description = "Delete all but the --keep most recently promoted snapshots, and the shards no kept snapshot "
                    + "uses (unless built within the last hour: a running backfill may be about to use them). Never "
                    + "deleted: LATEST, a promotion not in effect yet, and each --keep-snapshot (name the snapshots "
                    + "jobs pinned by id). A replay of turns served from a deleted snapshot reports them as divergent.")
    static final class Gc implements Callable<Integer> {
        @ParentCommand
        SnapshotsCommand parent;

        @Option(names = "--keep", description = "Most recently promoted snapshots to keep (default: ${DEFAULT-VALUE}).")
        int keep = 3;

        @Option(names = "--keep-snapshot", description = "A snapshot to keep whatever its age (repeatable).")
        List<String> protect = List.of();

        @Option(names = "--dry-run", description = "Only print what would be deleted.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            IndexStore.Collected c = parent.store().collectGarbage(keep, protect, dryRun);
            PrintWriter out = parent.spec.commandLine().getOut();
            for (String id : c.deleted()) {
                out.println((dryRun ? "would delete " : "deleted ") + id);
            }
            out.printf("%s %d snapshot(s), kept %d: %s%n", dryRun ? "would delete" : "deleted", c.deleted().size(),
                    c.kept().size(), String.join(", ", c.kept()));
            out.printf("%s %d shard(s) no kept snapshot uses%n", dryRun ? "would delete" : "deleted",
                    c.deletedShards().size());
            out.flush();
            return 0;
        }
    }
}
