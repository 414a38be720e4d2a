package io.sluice.cli;

import io.sluice.jobs.backfill.Backfill;
import io.sluice.model.RuntimeOptions;
import io.sluice.operators.chunk.ChunkerSettings;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The backfill options of the CLI become the settings the job jar's keys would give. */
class BackfillOptionsCliTest {

    private static Backfill.Settings settings(String... args) {
        BackfillCommand command = new BackfillCommand();
        CommandLine cli = new CommandLine(command);
        cli.parseArgs(args);
        return command.documents.settings(command.backfill, cli);
    }

    @Test
    void everyOptionReachesTheSettings() {
        Backfill.Settings s = settings("--docs", "/data/docs", "--index-dir", "/data/index", "--tenant", "acme",
                "--chunk-tokens", "300", "--chunk-overlap", "30", "--batch-size", "16", "--model",
                "bundled:all-minilm-l6-v2-q", "--shards", "3", "--parallelism", "2", "--model-threads", "4",
                "--concurrent-calls", "3", "--redact", "--redis-uri", "redis://cache:6379", "--embedding-cache-ttl", "PT1H");
        assertThat(s.docs()).isEqualTo(Path.of("/data/docs"));
        assertThat(s.indexDir()).isEqualTo(Path.of("/data/index"));
        assertThat(s.defaultTenant()).isEqualTo("acme");
        assertThat(s.chunker()).isEqualTo(new ChunkerSettings(300, 30));
        assertThat(s.batchSize()).isEqualTo(16);
        assertThat(s.embeddingModel()).isEqualTo("bundled:all-minilm-l6-v2-q");
        assertThat(s.shards()).isEqualTo(3);
        assertThat(s.parallelism()).isEqualTo(2);
        assertThat(s.runtime()).isEqualTo(new RuntimeOptions(4, 1, RuntimeOptions.ExecutionProvider.CPU));
        assertThat(s.concurrentCalls()).isEqualTo(3);
        assertThat(s.redact()).isTrue();
        assertThat(s.embeddingCache().redisUri()).isEqualTo("redis://cache:6379");
        assertThat(s.embeddingCache().ttl()).isEqualTo(Duration.ofHours(1));
        assertThat(s.kafka()).isNull();
    }

    @Test
    void aTopicReplacesTheFilesAndNoRedisMeansNoCache() {
        Backfill.Settings s = settings("--docs-topic", "documents", "--bootstrap-servers", "kafka:9092",
                "--index-dir", "/data/index");
        assertThat(s.docs()).isNull();
        assertThat(s.kafka()).isEqualTo(new Backfill.KafkaInput("kafka:9092", "documents", java.util.Map.of()));
        assertThat(s.embeddingCache()).isNull();
        assertThat(s.runtime().intraOpThreads()).isEqualTo(1);
        assertThat(s.concurrentCalls()).as("the CLI's own default: a backfill has the machine").isEqualTo(2);
    }

    @Test
    void theDocumentsAreNamedExactlyOnce() {
        assertThatThrownBy(() -> settings("--index-dir", "/data/index"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--docs or --docs-topic");
        assertThatThrownBy(() -> settings("--docs", "/d", "--docs-topic", "t", "--index-dir", "/data/index"))
                .isInstanceOf(CommandLine.ParameterException.class);
    }
}
