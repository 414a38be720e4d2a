package io.sluice.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

import java.util.List;
import java.util.Locale;

/**
 * Contender (d), langchain4j's {@code AllMiniLmL6V2EmbeddingModel.embedAll} with its default
 * settings, in a JVM of its own: langchain4j and DJL each insist on creating the process-wide ONNX
 * Runtime environment, so they cannot share one. Prints one {@code batch rate} line per batch size.
 * Arguments: batch sizes (comma-separated), warm-up seconds, seconds.
 */
public final class PeerBenchmark {

    private PeerBenchmark() {}

    public static void main(String[] args) throws Exception {
        double warmup = Double.parseDouble(args[1]);
        double seconds = Double.parseDouble(args[2]);
        AllMiniLmL6V2EmbeddingModel peer = new AllMiniLmL6V2EmbeddingModel();
        List<TextSegment> segments = EmbeddingBenchmark.sentences(256).stream().map(TextSegment::from).toList();
        for (String b : args[0].split(",")) {
            int size = Integer.parseInt(b.strip());
            List<List<TextSegment>> batches = Throughput.batches(segments, size);
            double rate = Throughput.measure(size, batches.size(), warmup, seconds, i -> peer.embedAll(batches.get(i)));
            System.out.printf(Locale.ROOT, "%d %.3f%n", size, rate);
        }
        System.out.flush();
        System.exit(0); // langchain4j's executor threads would keep the JVM alive
    }
}
