package io.sluice.jobs.backfill;

import io.sluice.schemas.Bounds;
import io.sluice.schemas.Document;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
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
 * Other files are skipped. {@link #read} returns documents sorted by (tenant, id); a duplicate id
 * within a tenant is an error, as is a JSONL line without an id, or an id or tenant longer than
 * {@value #MAX_ID_CHARS} characters or containing NUL. {@link #parse} reads one file lazily, for
 * the backfill's file source. Titles longer than {@value #MAX_TITLE_CHARS} characters are cut
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
            if (!isDocumentFile(file.getFileName().toString())) {
                continue;
            }
            String id = base.relativize(file).toString().replace('\\', '/');
            try (InputStream in = Files.newInputStream(file)) {
                parse(in, file.toString(), id, defaultTenant, Files.getLastModifiedTime(file).toMillis())
                        .forEachRemaining(docs::add);
            } catch (UncheckedIOException e) {
                throw e.getCause();
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

    /** Whether a file of this name holds documents (by its extension); others are skipped. */
    public static boolean isDocumentFile(String fileName) {
        String name = fileName.toLowerCase(Locale.ROOT);
        return name.endsWith(".md") || name.endsWith(".markdown") || name.endsWith(".txt")
                || name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
    }

    /**
     * The documents of one file, read lazily (a JSONL file of any size is never held): one for a
     * markdown or text file, whose id is {@code relativeId}; one per line of a JSONL file. A problem
     * is an {@link UncheckedIOException} naming {@code fileName} and the line.
     *
     * @param mtime the file's modification time, the documents' {@code updatedAt} unless a line says
     */
    public static Iterator<Document> parse(InputStream in, String fileName, String relativeId, String defaultTenant,
            long mtime) throws IOException {
        return parse(in, fileName, relativeId, defaultTenant, mtime, false);
    }

    /**
     * As {@link #parse(InputStream, String, String, String, long)}, but when {@code lenient}, a line
     * or file that is not a document (or a file that cannot be read to its end) comes out as a
     * {@link Document#unreadable} naming its problem, in its place: for a job that runs on, where
     * failing would only meet the same file again.
     */
    public static Iterator<Document> parse(InputStream in, String fileName, String relativeId, String defaultTenant,
            long mtime, boolean lenient) throws IOException {
        String name = fileName.toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".jsonl.gz")) {
            InputStream raw = name.endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
            return new JsonlDocuments(new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8)),
                    fileName, defaultTenant, mtime, lenient);
        }
        if (!isDocumentFile(fileName)) {
            return java.util.Collections.emptyIterator();
        }
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (text.isBlank()) {
            return java.util.Collections.emptyIterator();
        }
        try {
            checkId(relativeId, defaultTenant, fileName + ": a document id (its path)");
        } catch (IOException e) {
            if (!lenient) {
                throw e;
            }
            return List.of(Document.unreadable(e.getMessage())).iterator();
        }
        return List.of(new Document(defaultTenant, relativeId, title(text, fileName), text, mtime)).iterator();
    }

    private static void checkId(String id, String tenant, String where) throws IOException {
        if (id.length() > MAX_ID_CHARS || tenant.length() > MAX_ID_CHARS) {
            throw new IOException(where + ": the id and tenant of a document may have at most " + MAX_ID_CHARS
                    + " characters");
        }
        if (id.indexOf('\u0000') >= 0 || tenant.indexOf('\u0000') >= 0) {
            throw new IOException(where + ": a document id or tenant may not contain the NUL character");
        }
    }

    /** The documents of a JSONL file, a line at a time. */
    private static final class JsonlDocuments implements Iterator<Document> {
        private final BufferedReader reader;
        private final String file;
        private final String defaultTenant;
        private final long mtime;
        /** Whether a problem becomes a {@link Document#unreadable} instead of an exception. */
        private final boolean lenient;
        private int lineNo;
        private Document next;
        private boolean ended;

        JsonlDocuments(BufferedReader reader, String file, String defaultTenant, long mtime, boolean lenient) {
            this.reader = reader;
            this.file = file;
            this.defaultTenant = defaultTenant;
            this.mtime = mtime;
            this.lenient = lenient;
        }

        @Override
        public boolean hasNext() {
            try {
                while (next == null && !ended) {
                    String line = reader.readLine();
                    if (line == null) {
                        ended = true;
                    } else if (!line.isBlank()) {
                        lineNo++;
                        next = document(line);
                    } else {
                        lineNo++;
                    }
                }
                return next != null;
            } catch (IOException e) {
                if (!lenient) {
                    throw new UncheckedIOException(e.getMessage(), e);
                }
                // The rest of an unreadable file (a truncated gzip, say) is lost; the file is named.
                next = Document.unreadable(file + ": unreadable after line " + lineNo + ": " + e.getMessage());
                ended = true;
                return true;
            }
        }

        @Override
        public Document next() {
            if (!hasNext()) {
                throw new java.util.NoSuchElementException();
            }
            Document d = next;
            next = null;
            return d;
        }

        private Document document(String line) throws IOException {
            try {
                return parseLine(line, file + ":" + lineNo, defaultTenant, mtime);
            } catch (IOException e) {
                if (!lenient) {
                    throw e;
                }
                return Document.unreadable(e.getMessage());
            }
        }
    }

    /**
     * The document of one JSON line (a JSONL file's or a Kafka record's); null for a line with
     * neither title nor text. {@code "deleted": true} makes it a {@link Document#deletion}.
     *
     * @param where what to name in an error (file and line, or topic and offset)
     */
    public static Document parseLine(String line, String where, String defaultTenant, long defaultUpdatedAt)
            throws IOException {
        JsonNode n;
        try {
            n = MAPPER.readTree(line);
        } catch (IOException e) {
            throw new IOException(where + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IOException(where + ": a document is a JSON object");
        }
        String id = n.hasNonNull("id") ? n.get("id").asText() : n.path("_id").asText("");
        if (id.isBlank()) {
            throw new IOException(where + ": a document needs an 'id' (or '_id')");
        }
        String tenant = n.path("tenantId").asText(defaultTenant);
        checkId(id, tenant, where);
        long updatedAt = updatedAt(n.get("updatedAt"), defaultUpdatedAt);
        if (n.path("deleted").asBoolean(false)) {
            return Document.deletion(tenant, id, updatedAt);
        }
        String text = n.path("text").asText("");
        String title = Bounds.cut(n.path("title").asText(""), MAX_TITLE_CHARS);
        if (text.isBlank() && title.isBlank()) {
            return null;
        }
        return new Document(tenant, id, title, text.isBlank() ? title : text, updatedAt);
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

    private static String title(String text, String file) {
        for (String line : text.split("\n", 50)) {
            if (line.startsWith("# ")) {
                return Bounds.cut(line.substring(2).strip(), MAX_TITLE_CHARS);
            }
        }
        String name = file.substring(file.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
