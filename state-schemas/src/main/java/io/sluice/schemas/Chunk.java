package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * A piece of a document small enough to embed. {@code chunkId} is {@code documentId#position}:
 * stable across runs as long as the document's text before it does not change.
 * {@code chunksInDocument} lets the backfill report whole documents as done. {@code tokens} is the
 * model-token count of the chunk as a context shows it (its title, or document id, and its text),
 * computed once while chunking so that serving never has to count it again.
 */
public record Chunk(
        String chunkId,
        String tenantId,
        String documentId,
        String title,
        int position,
        int chunksInDocument,
        String text,
        int tokens) {

    /**
     * The heading a context shows for a chunk: its title, or its document id where it has none.
     * Token counts stored at backfill are counted on this, so renderers must use it too.
     */
    public static String displayTitle(String title, String documentId) {
        return title == null || title.isBlank() ? documentId : title;
    }

    /** What the embedding model sees: the title gives short chunks their topic. */
    public String embeddingInput() {
        return title == null || title.isBlank() ? text : title + ". " + text;
    }

    static void write(Chunk v, DataOutputView out) throws IOException {
        Fields.writeString(out, v.chunkId);
        Fields.writeString(out, v.tenantId);
        Fields.writeString(out, v.documentId);
        Fields.writeString(out, v.title);
        out.writeInt(v.position);
        out.writeInt(v.chunksInDocument);
        Fields.writeString(out, v.text);
        out.writeInt(v.tokens);
    }

    static Chunk read(DataInputView in) throws IOException {
        return new Chunk(Fields.readString(in), Fields.readString(in), Fields.readString(in),
                Fields.readString(in), in.readInt(), in.readInt(), Fields.readString(in), in.readInt());
    }
}
