package io.sluice.jobs.backfill;

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
    void linesOfATopicCanDeleteAndFileIdsAreRelativeToTheRoot() throws IOException {
        assertThat(DocumentReader.parseLine("{\"id\":\"x\",\"tenantId\":\"acme\",\"deleted\":true}", "t-0@5", "d", 7))
                .isEqualTo(Document.deletion("acme", "x", 7));
        assertThat(DocumentReader.parseLine("{\"id\":\"x\",\"text\":\"hello\"}", "t-0@6", "d", 7).deleted()).isFalse();
        assertThatThrownBy(() -> DocumentReader.parseLine("[1]", "t-0@7", "d", 7)).hasMessageContaining("t-0@7");
        assertThatThrownBy(() -> DocumentReader.parseLine("{\"id\":\"a\\u0000b\",\"text\":\"x\"}", "t-0@8", "d", 7))
                .hasMessageContaining("NUL");

        // Lenient (live ingestion): the good lines come through, each bad one in its place as an
        // unreadable input that names it.
        var lenient = DocumentReader.parse(new java.io.ByteArrayInputStream(
                "{\"id\":\"a\",\"text\":\"x\"}\nnot json\n{\"title\":\"no id\"}\n{\"id\":\"b\",\"text\":\"y\"}\n"
                        .getBytes(StandardCharsets.UTF_8)), "in.jsonl", "in.jsonl", "t", 7, true);
        List<Document> read = new java.util.ArrayList<>();
        lenient.forEachRemaining(read::add);
        assertThat(read).extracting(Document::unreadable).containsExactly(false, true, true, false);
        assertThat(read.get(0).documentId()).isEqualTo("a");
        assertThat(read.get(3).documentId()).isEqualTo("b");
        assertThat(read.get(1).text()).startsWith("in.jsonl:2: not valid JSON");
        assertThat(read.get(2).text()).startsWith("in.jsonl:3: a document needs an 'id'");
        assertThat(read.get(1).deleted()).isFalse();
        // A file whose path is no document id is one unreadable input.
        var badPath = DocumentReader.parse(new java.io.ByteArrayInputStream("# T\n\ntext".getBytes(StandardCharsets.UTF_8)),
                "a.md", "a\u0000.md", "t", 7, true);
        assertThat(badPath.next().text()).contains("NUL");

        DocumentFormat format = new DocumentFormat(new org.apache.flink.core.fs.Path(dir.toUri()), "t", false);
        assertThat(format.relativeId(new org.apache.flink.core.fs.Path(dir.resolve("guide/setup.md").toUri())))
                .isEqualTo("guide/setup.md");
    }
}
