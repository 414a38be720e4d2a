package io.sluice.schemas;

import io.sluice.schemas.serde.Fields;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * One chunk returned by hybrid retrieval. {@code score} is the fused (reciprocal rank) score;
 * {@code bm25Rank} and {@code vectorRank} are the 1-based ranks in each list, 0 where the chunk was
 * not in that list.
 */
public record RetrievedChunk(
        String chunkId,
        String documentId,
        String title,
        String text,
        double score,
        int bm25Rank,
        int vectorRank) {

    static void write(RetrievedChunk v, DataOutputView out) throws IOException {
        Fields.writeString(out, v.chunkId);
        Fields.writeString(out, v.documentId);
        Fields.writeString(out, v.title);
        Fields.writeString(out, v.text);
        out.writeDouble(v.score);
        out.writeInt(v.bm25Rank);
        out.writeInt(v.vectorRank);
    }

    static RetrievedChunk read(DataInputView in) throws IOException {
        return new RetrievedChunk(Fields.readString(in), Fields.readString(in),
                Fields.readString(in), Fields.readString(in), in.readDouble(), in.readInt(),
                in.readInt());
    }
}
