package io.sluice.operators.flink;

import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.chunk.ChunkerSettings;
import io.sluice.operators.guard.PiiType;
import io.sluice.operators.index.DocumentRedactor;
import io.sluice.operators.index.DocumentStaging;
import io.sluice.operators.index.ShardBuilder;
import io.sluice.operators.retrieve.SnapshotManifest;
import io.sluice.schemas.Document;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.apache.flink.api.common.accumulators.IntCounter;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.UUID;

/**
 * The backfill's {@code index} stage: stages the documents of the shards this subtask owns (shard
 * {@code s} belongs to subtask {@code s mod parallelism}, as the job partitions them) on local disk,
 * and at the end of input builds each of those shards in turn ({@link ShardBuilder}), emitting one
 * JSON line per shard ({@link SnapshotManifest.Shard} and whether it was built before). Its
 * embedder is the {@link ChunkEmbedder}: vectors of the previous snapshot, then an embedding cache,
 * then the model. Progress goes to accumulators the client polls.
 */
public final class ShardBuildOperator extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<Document, String>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    /** Accumulators the backfill client polls for progress while the job runs. */
    public static final String DOCUMENTS_READ = "sluice.backfill.read";
    public static final String DOCUMENTS_DONE = "sluice.backfill.documents";
    public static final String CHUNKS_DONE = "sluice.backfill.chunks";
    public static final String CHUNKS_REUSED = "sluice.backfill.reused";
    public static final String SHARDS_DONE = "sluice.backfill.shards";
    public static final String REDACTED_DOCUMENTS = "sluice.backfill.redacted";
    public static final String REDACTED_PREFIX = "sluice.backfill.redacted.";
    /** Inputs that were not documents (a topic's records; files fail the backfill instead). */
    public static final String SKIPPED = "sluice.backfill.skipped";
    /** Staging buffer before a sorted run goes to disk. */
    private static final double STAGING_BUFFER_MB = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ShardBuilding building;
    private final boolean upserts;
    private final boolean redact;

    private transient DocumentStaging staging;
    private transient ShardBuilder builder;
    private transient DocumentRedactor redactor;
    private transient IntCounter read;
    private transient IntCounter skipped;
    private transient IntCounter documents;
    private transient IntCounter chunks;
    private transient IntCounter reused;
    private transient IntCounter shardsDone;
    private transient IntCounter redactedDocuments;
    private transient Map<PiiType, IntCounter> redactedByType;

    /**
     * @param shards shard count, chunker fingerprint, qualified model id, batch size
     * @param upserts whether a later record of a document replaces an earlier one (and deletions are allowed)
     */
    public ShardBuildOperator(String indexDir, ShardBuilder.Settings shards, ChunkerSettings chunker,
            String embeddingModel, ChunkEmbedder embedder, boolean upserts, boolean redact) {
        this.building = new ShardBuilding(indexDir, shards, chunker, embeddingModel, embedder);
        this.upserts = upserts;
        this.redact = redact;
    }

    @Override
    public void open() throws Exception {
        super.open();
        var context = getRuntimeContext();
        read = counter(DOCUMENTS_READ);
        skipped = counter(SKIPPED);
        documents = counter(DOCUMENTS_DONE);
        chunks = counter(CHUNKS_DONE);
        reused = counter(CHUNKS_REUSED);
        shardsDone = counter(SHARDS_DONE);
        if (redact) {
            redactor = new DocumentRedactor();
            redactedDocuments = counter(REDACTED_DOCUMENTS);
            redactedByType = new EnumMap<>(PiiType.class);
            for (PiiType type : PiiType.values()) {
                redactedByType.put(type, counter(REDACTED_PREFIX + type.name()));
            }
        }
        String[] tmp = getContainingTask().getEnvironment().getIOManager().getSpillingDirectoriesPaths();
        Path dir = Path.of(tmp[context.getTaskInfo().getIndexOfThisSubtask() % tmp.length])
                .resolve("sluice-staging-" + UUID.randomUUID());
        staging = new DocumentStaging(dir, upserts, STAGING_BUFFER_MB);
        builder = building.open(context, (docs, c, r) -> {
            documents.add(docs);
            chunks.add(c);
            reused.add(r);
        });
    }

    private IntCounter counter(String name) {
        IntCounter c = new IntCounter();
        getRuntimeContext().addAccumulator(name, c);
        return c;
    }

    @Override
    public void processElement(StreamRecord<Document> element) throws Exception {
        if (element.getValue().unreadable()) {
            LOG.warn("Skipped an input that is not a document: {}", element.getValue().text());
            skipped.add(1);
            return;
        }
        Document doc = redactor == null ? element.getValue() : redactor.redact(element.getValue());
        staging.add(SnapshotManifest.shardOf(doc.tenantId(), doc.documentId(), building.shardCount()), doc);
        read.add(1);
    }

    @Override
    public void endInput() throws Exception {
        if (redactor != null) {
            // The client reads these once the job is done, so the totals are added once, here.
            redactedDocuments.add(redactor.changed());
            redactor.counts().forEach((type, n) -> redactedByType.get(type).add(n));
        }
        staging.finish();
        for (int s : building.ownedShards(getRuntimeContext().getTaskInfo()).toArray()) {
            ShardBuilder.Built built = builder.build(s, () -> staging.documents(s));
            shardsDone.add(1);
            output.collect(new StreamRecord<>(JSON.writeValueAsString(built)));
        }
    }

    /** A line this operator emitted, read back. */
    public static ShardBuilder.Built parse(String line) throws IOException {
        return JSON.readValue(line, ShardBuilder.Built.class);
    }

    @Override
    public void close() throws Exception {
        try {
            building.close();
            if (staging != null) {
                staging.close();
            }
        } finally {
            super.close();
        }
    }
}
