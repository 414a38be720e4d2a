package io.sluice.jobs.backfill;

import io.sluice.schemas.Bounds;
import io.sluice.schemas.Document;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Reads the documents of a backfill from a file or a directory tree:
 * <ul>
 *   <li>{@code .md}, {@code .markdown}, {@code .txt}: one document per file; its id is the path
 *       relative to the root, its title the first markdown heading or else the file name;
 *   <li>{@code .jsonl}, {@code .jsonl.gz}: one document per line with {@code id} (or BEIR's
 *       {@code _id}), {@code title}, {@code text} and optionally {@code tenantId} and
 *       {@code updatedAt} (epoch millis or ISO-8601).
 * </ul>
 * Other files are skipped. Documents come back sorted by (tenant, id); a duplicate id within a
 * tenant is an error, as is a JSONL line without an id, or an id or tenant longer than
 * {@value #MAX_ID_CHARS} characters. Titles longer than {@value #MAX_TITLE_CHARS} characters are cut
 * (they travel in every citation of the document's chunks, whose records have a size bound).
 */
public final class DocumentReader {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Longest document id and tenant: chunk ids and citations carry them. */
    public static final int MAX_ID_CHARS = 512;
    /** Longest title kept. */
    public static final int MAX_TITLE_CHARS = 512;

    private DocumentReader() {}

    public static List<Document> read(Path root, String defaultTenant) throws IOException {
        if (!Files.exists(root)) {
            throw new IOException("Documents not found: " + root);
        }
        List<Path> files;
        if (Files.isDirectory(root)) {
            try (Stream<Path> walk = Files.walk(root)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
        } else {
            files = List.of(root);
        }
        Path base = Files.isDirectory(root) ? root : root.getParent();
        List<Document> docs = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
            long mtime = Files.getLastModifiedTime(file).toMillis();
            if (name.endsWith(".md") || name.endsWith(".markdown") || name.endsWith(".txt")) {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                if (!text.isBlank()) {
                    String id = base.relativize(file).toString().replace('\\', '/');
                    if (id.length() > MAX_ID_CHARS) {
                        throw new IOException(file + ": a document id (its path) may have at most " + MAX_ID_CHARS
                                + " characters");
                    }
                    docs.add(new Document(defaultTenant, id, title(text, file), text, mtime));
                }
            } else if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz")) {
                readJsonl(file, name.endsWith(".gz"), defaultTenant, mtime, docs);
            }
        }
        docs.sort(Comparator.comparing(Document::tenantId).thenComparing(Document::documentId));
        Set<String> seen = new HashSet<>();
        for (Document d : docs) {
            if (!seen.add(d.tenantId() + "\u0000" + d.documentId())) {
                throw new IOException("Duplicate document id '" + d.documentId() + "' in tenant '"
                        + d.tenantId() + "' under " + root);
            }
        }
        return docs;
    }

    private static void readJsonl(Path file, boolean gzip, String defaultTenant, long mtime,
            List<Document> out) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
                InputStream in = gzip ? new GZIPInputStream(raw, 1 << 16) : raw;
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n;
                try {
                    n = MAPPER.readTree(line);
                } catch (IOException e) {
                    throw new IOException(file + ":" + lineNo + ": not valid JSON: " + e.getMessage(), e);
                }
                String id = n.hasNonNull("id") ? n.get("id").asText() : n.path("_id").asText("");
                if (id.isBlank()) {
                    throw new IOException(file + ":" + lineNo + ": a document needs an 'id' (or '_id')");
                }
                if (id.length() > MAX_ID_CHARS || n.path("tenantId").asText("").length() > MAX_ID_CHARS) {
                    throw new IOException(file + ":" + lineNo + ": the id and tenant of a document may have at most "
                            + MAX_ID_CHARS + " characters");
                }
                String text = n.path("text").asText("");
                String title = Bounds.cut(n.path("title").asText(""), MAX_TITLE_CHARS);
                if (text.isBlank() && title.isBlank()) {
                    continue;
                }
                out.add(new Document(n.path("tenantId").asText(defaultTenant), id, title,
                        text.isBlank() ? title : text, updatedAt(n.get("updatedAt"), mtime)));
            }
        }
    }

    private static long updatedAt(JsonNode value, long fallback) {
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (value.isNumber()) {
            return value.asLong();
        }
        try {
            return Instant.parse(value.asText()).toEpochMilli();
        } catch (RuntimeException e) {
            return fallback;
        }
    }

    private static String title(String text, Path file) {
        for (String line : text.split("\n", 50)) {
            if (line.startsWith("# ")) {
                return Bounds.cut(line.substring(2).strip(), MAX_TITLE_CHARS);
            }
        }
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
