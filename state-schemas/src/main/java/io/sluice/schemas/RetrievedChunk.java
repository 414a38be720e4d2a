package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * One chunk returned by hybrid retrieval. {@code score} is the fused score (its scale depends on the fusion, see {@code sluice.retrieval.fusion});
 * {@code bm25Rank} and {@code vectorRank} are the 1-based ranks in each list, 0 where the chunk was
 * not in that list. {@code tokens} is the chunk's token count stored at backfill (title and text as
 * a context shows them), or 0 where the snapshot does not have it.
 */
public record RetrievedChunk(
        String chunkId,
        String documentId,
        String title,
        String text,
        double score,
        int bm25Rank,
        int vectorRank,
        int tokens) {

    /** See {@link Chunk#displayTitle}. */
    public String displayTitle() {
        return Chunk.displayTitle(title, documentId);
    }

    /** A chunk whose token count is not known. */
    public RetrievedChunk(String chunkId, String documentId, String title, String text, double score,
            int bm25Rank, int vectorRank) {
        this(chunkId, documentId, title, text, score, bm25Rank, vectorRank, 0);
    }

    /** This chunk without its title and text, which its snapshot (named by the turn) still holds. */
    public RetrievedChunk withoutText() {
        return new RetrievedChunk(chunkId, documentId, null, "", score, bm25Rank, vectorRank, tokens);
    }

    static void write(RetrievedChunk v, DataOutputView out) throws IOException {
        Fields.writeString(out, v.chunkId);
        Fields.writeString(out, v.documentId);
        Fields.writeString(out, v.title);
        Fields.writeString(out, v.text);
        out.writeDouble(v.score);
        out.writeInt(v.bm25Rank);
        out.writeInt(v.vectorRank);
        out.writeInt(v.tokens);
    }

    static RetrievedChunk read(DataInputView in) throws IOException {
        return new RetrievedChunk(Fields.readString(in), Fields.readString(in),
                Fields.readString(in), Fields.readString(in), in.readDouble(), in.readInt(),
                in.readInt(), in.readInt());
    }
}
