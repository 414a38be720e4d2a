package io.sluice.cli;

import io.sluice.operators.retrieve.IndexStore;
import io.sluice.operators.retrieve.SnapshotManifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotsCommandTest {

    @TempDir
    Path dir;

    private String run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = SluiceCli.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cli.execute(args);
        assertThat(code).as("sluice %s; stderr: %s", String.join(" ", args), err).isZero();
        return out.toString();
    }

    @Test
    void listsPromotesAndCollectsSnapshots() throws Exception {
        IndexStore store = new IndexStore(dir);
        for (String id : List.of("s1", "s2", "s3")) {
            Path d = Files.createDirectories(store.snapshotDir(id));
            new SnapshotManifest(id, "1970-01-01T00:00:00Z", "acme/m@1", 4, "test", 2, 5, 5, 0, List.of("acme")).write(d);
        }
        String index = dir.toString();
        assertThat(run("snapshots", "promote", "s1", "--index-dir", index)).startsWith("promoted s1, in effect from ");
        run("snapshots", "promote", "s2", "--index-dir", index);

        String list = run("snapshots", "--index-dir", index, "list");
        assertThat(list).containsPattern("s1 +\\d{4}-\\d\\d-\\d\\dT.* acme/m@1 +2 +5 +1\\n");
        assertThat(list).containsPattern("s2 +\\d{4}-.* +2 +5 +1  LATEST\\n");
        assertThat(list).containsPattern("s3 +never ");

        assertThat(run("snapshots", "verify", "s1", "--index-dir", index)).contains("lists no files");

        assertThat(run("snapshots", "gc", "--index-dir", index, "--keep", "1", "--dry-run"))
                .contains("would delete s3").contains("would delete 1 snapshot(s)");
        assertThat(store.snapshotIds()).containsExactly("s1", "s2", "s3");
        // s2's promotion is not in effect yet, and s1 is named: only s3 goes.
        assertThat(run("snapshots", "gc", "--index-dir", index, "--keep", "1", "--keep-snapshot", "s1"))
                .contains("deleted s3").contains("deleted 1 snapshot(s), kept 2");
        assertThat(store.snapshotIds()).containsExactly("s1", "s2");
    }
}
