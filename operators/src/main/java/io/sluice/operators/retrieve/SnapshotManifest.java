package io.sluice.operators.retrieve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What an index snapshot holds and how it was made. {@code createdAt} is the newest
 * {@code updatedAt} of its input documents (ISO-8601), so rebuilding the same input yields the same
 * manifest.
 */
public record SnapshotManifest(
        String snapshotId,
        String createdAt,
        String embeddingModel,
        int dimension,
        String chunker,
        int documents,
        int chunks,
        int embeddedChunks,
        int reusedEmbeddings,
        List<String> tenants) {

    public static final String FILE_NAME = "manifest.json";

    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public void write(Path snapshotDir) throws IOException {
        MAPPER.writeValue(snapshotDir.resolve(FILE_NAME).toFile(), this);
    }

    public static SnapshotManifest read(Path snapshotDir) throws IOException {
        Path file = snapshotDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IOException(snapshotDir + " is not an index snapshot: no " + FILE_NAME);
        }
        return MAPPER.readValue(file.toFile(), SnapshotManifest.class);
    }
}
