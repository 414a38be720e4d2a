package io.sluice.bench;

import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ProfileSummaryTest {

    @Test
    void eachStackCountsOnceForTheFirstComponentItNames() {
        ProfileSummary summary = ProfileSummary.of(Stream.of(
                // The model's native code under the embed stage is the model's, not Sluice's.
                "java/lang/Thread.run;io/sluice/model/OnnxEmbeddingModel.embed;ai/onnxruntime/OrtSession.run;"
                        + "/tmp/onnxruntime-java1/libonnxruntime.so 60",
                "java/lang/Thread.run;io/sluice/operators/retrieve/HybridSearcher.knn;"
                        + "org/apache/lucene/search/IndexSearcher.search 20",
                "java/lang/Thread.run;kafka/server/KafkaApis.handle;org/apache/kafka/clients/NetworkClient.poll 10",
                "java/lang/Thread.run;io/sluice/operators/answer/PiiDetector.matches 5",
                "start_thread;thread_native_entry;CompileBroker::compiler_thread_loop 4",
                "start_thread;__futex_abstimed_wait_common 1",
                "a line without a count",
                ""));
        assertThat(summary.total()).isEqualTo(100);
        assertThat(summary.share("ONNX Runtime (the model)")).isCloseTo(0.60, within(1e-9));
        assertThat(summary.share("Lucene")).isCloseTo(0.20, within(1e-9));
        assertThat(summary.share("Kafka broker")).as("the broker before the clients it calls").isCloseTo(0.10, within(1e-9));
        assertThat(summary.share("Kafka clients")).isZero();
        assertThat(summary.share("Sluice")).isCloseTo(0.05, within(1e-9));
        assertThat(summary.share("JIT compiler")).isCloseTo(0.04, within(1e-9));
        assertThat(summary.share(ProfileSummary.OTHER)).isCloseTo(0.01, within(1e-9));
        assertThat(summary.table()).startsWith("| component | share of 100 samples |")
                .contains("| ONNX Runtime (the model) | 60.0 % |\n| Lucene | 20.0 % |")
                .doesNotContain("Kafka clients");
    }

    @Test
    void anEmptyProfileHasNoShares() {
        ProfileSummary summary = ProfileSummary.of(Stream.empty());
        assertThat(summary.total()).isZero();
        assertThat(summary.share("Lucene")).isZero();
    }
}
