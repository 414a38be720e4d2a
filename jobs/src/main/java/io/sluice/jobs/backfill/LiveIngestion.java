package io.sluice.jobs.backfill;

import io.sluice.model.EmbeddingModels;
import io.sluice.model.ModelCard;
import io.sluice.operators.batch.ChunkEmbedder;
import io.sluice.operators.flink.LiveIndexOperator;
import io.sluice.operators.flink.SnapshotCommitOperator;
import io.sluice.operators.index.LivePromotion;
import io.sluice.operators.index.ShardBuilder;
import io.sluice.operators.retrieve.IndexStore;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;

/**
 * Live ingestion: a streaming job that follows a directory (a continuous {@code FileSource}: each
 * new file is read once) or a Kafka topic of upserts and deletes, and at every checkpoint that
 * follows a change promotes a snapshot of the corpus as of that checkpoint. Snapshots are made as
 * a backfill makes them (same shards, keys and ids), only changed shards are built, and serving
 * jobs that follow promotions switch to each without a restart.
 *
 * <p>Documents are upserts: a document's latest version replaces the one before (put an update in
 * a new file; files found in one scan are read in no particular order). The staged corpus lives in
 * the index directory ({@code live/<name>/}), committed with each checkpoint, so a job restored
 * from one of its last checkpoints carries on exactly; started afresh, it reads its input from the
 * start.
 */
public final class LiveIngestion {

    private final Backfill.Settings settings;
    private final Duration interval;
    private final String name;
    private final PrintWriter log;
    /** A savepoint (or retained checkpoint) to carry on from; null: start afresh. */
    private String restoreFrom;

    /**
     * @param interval how often checkpoints are taken (each may promote a snapshot) and the directory is scanned
     * @param name names the staging in the index directory; one per live job
     */
    public LiveIngestion(Backfill.Settings settings, Duration interval, String name, PrintWriter log) {
        this.settings = settings;
        this.interval = interval;
        this.name = name;
        this.log = log;
    }

    /** This ingestion, carried on from a savepoint or retained checkpoint of an earlier one (its URI or path). */
    public LiveIngestion restoringFrom(String savepoint) {
        this.restoreFrom = savepoint;
        return this;
    }

    /** Submits the job and returns at once. */
    public JobClient start() throws Exception {
        if (settings.kafka() == null && !Files.isDirectory(settings.docs())) {
            throw new IOException("Live ingestion follows a directory, and " + settings.docs() + " is none");
        }
        ModelCard card = EmbeddingModels.card(settings.embeddingModel());
        IndexStore store = new IndexStore(settings.indexDir());
        String previous = Backfill.reusableSnapshot(store, card).map(id -> store.snapshotDir(id).toString())
                .orElse(null);

        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        if (restoreFrom != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, restoreFrom);
            // The ingestion carries on from its own snapshot, so it takes it over, as the changelog
            // state backend of a cluster's config.yaml requires (NO_CLAIM would fail its first checkpoint).
            conf.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
        env.setParallelism(settings.parallelism());
        env.enableCheckpointing(interval.toMillis());

        int shardCount = settings.shards();
        int indexTasks = Math.min(settings.parallelism(), shardCount);
        String indexDir = settings.indexDir().toAbsolutePath().toString();
        DataStream<String> lines = DocumentSources.of(env, settings, interval, "sluice-ingest-" + name)
                .partitionCustom(new Backfill.ByShard(), new Backfill.ShardOf(shardCount))
                .transform("index", Types.STRING, new LiveIndexOperator(indexDir, name,
                        new ShardBuilder.Settings(shardCount, settings.chunker().fingerprint(), card.qualifiedId(),
                                settings.batchSize()),
                        settings.chunker(), settings.embeddingModel(),
                        new ChunkEmbedder(settings.embeddingModel(), settings.runtime(), settings.concurrentCalls(),
                                previous, settings.embeddingCache()), settings.redact()))
                .uid("live-index").name("index").setParallelism(indexTasks);
        lines.transform("promote", Types.STRING, new SnapshotCommitOperator(indexDir, new LivePromotion.Settings(
                        shardCount, indexTasks, card.qualifiedId(), card.dimension(), settings.chunker().fingerprint())))
                .uid("live-promote").name("promote").setParallelism(1)
                .sinkTo(new DiscardingSink<>()).name("promoted").setParallelism(1);
        JobClient job = env.executeAsync("sluice-ingest-" + name);
        log.printf("ingest: following %s into %s (%d shards, a snapshot per checkpoint every %s that follows a "
                + "change); job %s%n", settings.kafka() == null ? settings.docs() : "topic " + settings.kafka().topic(),
                settings.indexDir(), shardCount, interval, job.getJobID());
        settings.unusedParallelism().ifPresent(note -> log.println("ingest: " + note));
        log.flush();
        return job;
    }
}
