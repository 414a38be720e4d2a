package io.sluice.jobs.backfill;

import io.sluice.jobs.config.JobArguments;
import io.sluice.model.EmbeddingModels;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The backfill's settings as the job jar's entry points read them from a configuration. */
class BackfillSettingsTest {

    private static Configuration conf(String... args) {
        return Configuration.fromMap(JobArguments.parse(args));
    }

    @Test
    void filesWithTheDefaults() {
        Backfill.Settings s = Backfill.Settings.from(conf("--sluice.backfill.documents", "/shared/docs",
                "--sluice.index.dir", "/shared/index"));
        assertThat(s.docs()).isEqualTo(Path.of("/shared/docs"));
        assertThat(s.indexDir()).isEqualTo(Path.of("/shared/index"));
        assertThat(s.embeddingModel()).isEqualTo(EmbeddingModels.DEFAULT);
        assertThat(s.chunker()).isEqualTo(ChunkerSettings.DEFAULT);
        assertThat(s.shards()).isEqualTo(1);
        assertThat(s.unusedParallelism()).isEmpty();
        assertThat(s.defaultTenant()).isEqualTo("default");
        assertThat(s.parallelism()).isEqualTo(1);
        assertThat(s.runtime()).isEqualTo(RuntimeOptions.cpu(1));
        assertThat(s.concurrentCalls()).as("the serving job's default").isEqualTo(2);
        assertThat(s.kafka()).isNull();
        assertThat(s.embeddingCache()).isNull();
        assertThat(s.redact()).isFalse();
    }

    @Test
    void moreTasksThanShardsAreNamedWithTheSettingThatUsesThem() {
        Backfill.Settings s = Backfill.Settings.from(conf("--sluice.backfill.documents", "/shared/docs",
                "--sluice.index.dir", "/shared/index", "--parallelism.default", "4"));
        assertThat(s.unusedParallelism()).contains("parallelism 4, but 1 shard: 1 task builds it and 3 have nothing "
                + "to do; --shards 4 (sluice.backfill.shards) lets all 4 embed and index, at some search time per shard");
        assertThat(s.withShards(4).unusedParallelism()).isEmpty();
        assertThat(s.withShards(3).unusedParallelism().orElseThrow())
                .startsWith("parallelism 4, but 3 shards: 3 tasks build them and 1 has nothing to do;");
    }

    @Test
    void everyKeyIsRead() {
        Backfill.Settings s = Backfill.Settings.from(conf("--sluice.backfill.documents-topic", "docs",
                "--sluice.kafka.bootstrap-servers", "kafka:9092", "--sluice.index.dir", "/i",
                "--sluice.kafka.properties.security.protocol", "SASL_SSL",
                "--sluice.embedding.model", EmbeddingModels.BUNDLED_MINILM_QUANTIZED,
                "--sluice.embedding.intra-op-threads", "2", "--sluice.embedding.concurrent-calls", "3",
                "--sluice.backfill.chunk.max-tokens", "300",
                "--sluice.backfill.chunk.overlap-tokens", "30", "--sluice.backfill.shards", "8",
                "--sluice.backfill.tenant", "acme", "--sluice.backfill.redact", "true",
                "--sluice.backfill.embedding.batch-size", "16", "--parallelism.default", "3",
                "--sluice.cache.redis-uri", "redis://r:6379", "--sluice.cache.embedding-ttl", "1 h"));
        assertThat(s.kafka()).isEqualTo(new Backfill.KafkaInput("kafka:9092", "docs",
                java.util.Map.of("security.protocol", "SASL_SSL")));
        assertThat(s.docs()).isNull();
        assertThat(s.embeddingModel()).isEqualTo(EmbeddingModels.BUNDLED_MINILM_QUANTIZED);
        assertThat(s.runtime().intraOpThreads()).isEqualTo(2);
        assertThat(s.concurrentCalls()).isEqualTo(3);
        assertThat(s.chunker()).isEqualTo(new ChunkerSettings(300, 30));
        assertThat(s.shards()).isEqualTo(8);
        assertThat(s.defaultTenant()).isEqualTo("acme");
        assertThat(s.redact()).isTrue();
        assertThat(s.batchSize()).isEqualTo(16);
        assertThat(s.parallelism()).isEqualTo(3);
        assertThat(s.embeddingCache().redisUri()).isEqualTo("redis://r:6379");
        assertThat(s.embeddingCache().ttl()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void namesTheKeyThatIsMissing() {
        assertThatThrownBy(() -> Backfill.Settings.from(conf("--sluice.index.dir", "/i")))
                .hasMessageContaining("sluice.backfill.documents").hasMessageContaining("sluice.backfill.documents-topic");
        assertThatThrownBy(() -> Backfill.Settings.from(conf("--sluice.backfill.documents", "/d")))
                .hasMessageContaining("sluice.index.dir");
    }
}
