package io.sluice.operators.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schemas.Document;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

class DocumentStagingTest {

    @TempDir
    Path dir;

    private static List<String> ids(DocumentStaging staging, long checkpoint) throws Exception {
        try (DocumentStaging.Committed at = staging.at(checkpoint).orElseThrow()) {
            List<String> ids = new ArrayList<>();
            at.documents(0).forEachRemaining(d -> ids.add(d.documentId() + "=" + d.text()));
            return ids;
        }
    }

    @Test
    void aLiveStagingReopensAsItWasAtTheCheckpointRestored() throws Exception {
        Path live = dir.resolve("live");
        try (DocumentStaging staging = DocumentStaging.open(live, 4, null)) {
            staging.add(0, new Document("t", "b", "B", "one", 1));
            staging.add(0, new Document("t", "a", "A", "one", 1));
            staging.commit(1);
            staging.add(0, new Document("t", "a", "A", "two", 2));
            staging.add(0, Document.deletion("t", "b", 2));
            staging.commit(2);
            // After checkpoint 2: lost with a failure.
            staging.add(0, new Document("t", "c", "C", "lost", 3));
            assertThat(ids(staging, 1)).containsExactly("a=one", "b=one");
            assertThat(ids(staging, 2)).containsExactly("a=two");
        }
        try (DocumentStaging restored = DocumentStaging.open(live, 4, 1L)) {
            assertThat(ids(restored, 1)).containsExactly("a=one", "b=one");
            restored.add(0, new Document("t", "d", "D", "new", 4));
            restored.commit(3);
            assertThat(ids(restored, 3)).containsExactly("a=one", "b=one", "d=new");
        }
        // A checkpoint without changes here was not committed again: the last commit before it counts.
        try (DocumentStaging restored = DocumentStaging.open(live, 4, 7L)) {
            assertThat(ids(restored, 7)).containsExactly("a=one", "b=one", "d=new");
            for (long c = 8; c < 8 + DocumentStaging.KEPT_COMMITS; c++) {
                restored.commit(c);
            }
        }
        assertThatThrownBy(() -> DocumentStaging.open(live, 4, 2L)).hasMessageContaining("no longer have checkpoint 2");
        // A fresh start begins empty.
        try (DocumentStaging fresh = DocumentStaging.open(live, 4, null)) {
            fresh.commit(1);
            assertThat(ids(fresh, 1)).isEmpty();
        }
    }
}
