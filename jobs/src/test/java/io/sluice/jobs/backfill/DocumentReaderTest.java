package io.sluice.jobs.backfill;

import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.model.ModelCard;
import io.sluice.schemas.Document;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DocumentReaderTest {

    @TempDir
    Path dir;

    @Test
    void readsMarkdownTextAndJsonlSortedByTenantAndId() throws IOException {
        Files.createDirectories(dir.resolve("guide"));
        Files.writeString(dir.resolve("guide/setup.md"), "intro\n# Setting up\nRun it.");
        Files.writeString(dir.resolve("notes.txt"), "Plain notes.");
        Files.writeString(dir.resolve("docs.jsonl"), """
                {"_id":"b1","title":"B","text":"Bee","tenantId":"zeta","updatedAt":"2026-02-01T00:00:00Z"}
                {"id":"a1","title":"A","text":"Ay","updatedAt":5}

                {"id":"empty","title":"","text":""}
                """);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("more.jsonl.gz")))) {
            out.write("{\"_id\":\"g1\",\"title\":\"Gz\",\"text\":\"zipped\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        List<Document> docs = DocumentReader.read(dir, "t0");
        assertThat(docs).extracting(Document::documentId).containsExactly("a1", "g1", "guide/setup.md", "notes.txt", "b1");
        assertThat(docs.get(0).updatedAt()).isEqualTo(5L);
        assertThat(docs.get(2).title()).isEqualTo("Setting up");
        assertThat(docs.get(3).title()).isEqualTo("notes");
        assertThat(docs.get(4).tenantId()).isEqualTo("zeta");
        assertThat(docs.get(4).updatedAt()).isEqualTo(java.time.Instant.parse("2026-02-01T00:00:00Z").toEpochMilli());
    }

    @Test
    void explainsBadInput() throws IOException {
        Files.writeString(dir.resolve("bad.jsonl"), "{\"title\":\"no id\",\"text\":\"x\"}\n");
        assertThatThrownBy(() -> DocumentReader.read(dir, "t")).hasMessageContaining("bad.jsonl:1").hasMessageContaining("'id'");
        Files.writeString(dir.resolve("bad.jsonl"), "{\"id\":\"x\",\"text\":\"a\"}\n{\"id\":\"x\",\"text\":\"b\"}\n");
        assertThatThrownBy(() -> DocumentReader.read(dir, "t")).hasMessageContaining("Duplicate document id 'x'");
        assertThatThrownBy(() -> DocumentReader.read(dir.resolve("missing"), "t")).hasMessageContaining("not found");
    }

    @Test
    void snapshotIdDependsOnContentSettingsAndModelOnly() {
        ModelCard card = new ModelCard("m", "1", 4, 16, ModelCard.Pooling.MEAN);
        List<Document> docs = List.of(new Document("t", "a", "A", "text", 1L));
        String id = Backfill.snapshotId(docs, ChunkerSettings.DEFAULT, card);
        assertThat(id).hasSize(32);
        assertThat(Backfill.snapshotId(List.of(new Document("t", "a", "A", "text", 999L)), ChunkerSettings.DEFAULT, card))
                .as("updatedAt does not change the content").isEqualTo(id);
        assertThat(Backfill.snapshotId(List.of(new Document("t", "a", "A", "text!", 1L)), ChunkerSettings.DEFAULT, card)).isNotEqualTo(id);
        assertThat(Backfill.snapshotId(docs, new ChunkerSettings(100, 0), card)).isNotEqualTo(id);
        assertThat(Backfill.snapshotId(docs, ChunkerSettings.DEFAULT, new ModelCard("m", "2", 4, 16, ModelCard.Pooling.MEAN))).isNotEqualTo(id);
    }
}
