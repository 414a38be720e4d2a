package io.sluice.operators.flink;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.HfTokenizer;
import io.sluice.operators.chunk.Chunker;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.schemas.Chunk;
import io.sluice.schemas.Document;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.util.Collector;

/** The backfill's {@code chunk} stage: documents to sentence-aware chunks, sized in model tokens. */
public final class ChunkFunction extends RichFlatMapFunction<Document, Chunk> {

    private static final long serialVersionUID = 1L;

    private final int maxTokens;
    private final int overlapTokens;
    private final String embeddingModel;

    private transient HfTokenizer tokenizer;
    private transient Chunker chunker;

    public ChunkFunction(ChunkerSettings settings, String embeddingModel) {
        this.maxTokens = settings.maxTokens();
        this.overlapTokens = settings.overlapTokens();
        this.embeddingModel = embeddingModel;
    }

    @Override
    public void open(OpenContext context) {
        tokenizer = EmbeddingModels.tokenizer(embeddingModel);
        chunker = new Chunker(new ChunkerSettings(maxTokens, overlapTokens), tokenizer);
    }

    @Override
    public void flatMap(Document document, Collector<Chunk> out) {
        chunker.chunk(document).forEach(out::collect);
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
