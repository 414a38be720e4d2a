package io.sluice.jobs.serving;

import io.sluice.jobs.config.KafkaClientProperties;
import io.sluice.jobs.config.ServingOptions;
import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.ChatClient;
import io.sluice.local.EmbeddedKafka;
import io.sluice.local.LocalStack;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The serving job against a broker that authenticates its clients (SASL/PLAIN), configured only
 * through {@code sluice.kafka.properties.*}, the password read by Kafka's file config provider.
 * The job is given the SASL listener alone, and a client that did not get the properties would
 * speak plaintext to it and be refused; so the broker's own count of failed authentications on that
 * listener says whether every source and sink of the job got them.
 */
class SecuredKafkaITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = TestClusters.oneTaskManager();

    private static final EmbeddedKafka.PlainLogin LOGIN =
            new EmbeddedKafka.PlainLogin("sluice-job", "s3cret-for-tests");
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path work;

    @Test
    void everySourceAndSinkAuthenticatesWithThePassedThroughProperties() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startWithSaslPlain(work.resolve("kafka"), LOGIN);
                LocalStack stack = LocalStack.start(work.resolve("services"),
                        new LocalStack.External(kafka.bootstrapServers(), null, null, null), 2)) {
            TestCorpus.backfill(work);
            Configuration conf = stack.servingConfig(work.resolve("index"));
            conf.set(ServingOptions.TENANTS_IDS, List.of(TestCorpus.ACME));
            conf.set(ServingOptions.KAFKA_BOOTSTRAP_SERVERS, kafka.saslBootstrapServers());
            conf.setString(KafkaClientProperties.PREFIX + "security.protocol", "SASL_PLAINTEXT");
            conf.setString(KafkaClientProperties.PREFIX + "sasl.mechanism", "PLAIN");
            // The password stays out of Flink's configuration: the clients read it from a file.
            Path secrets = Files.writeString(work.resolve("kafka-client.properties"), "login=" + LOGIN.jaasConfig());
            conf.setString(KafkaClientProperties.PREFIX + "config.providers", "file");
            conf.setString(KafkaClientProperties.PREFIX + "config.providers.file.class",
                    "org.apache.kafka.common.config.provider.FileConfigProvider");
            conf.setString(KafkaClientProperties.PREFIX + "sasl.jaas.config", "${file:" + secrets + ":login}");
            JobClient job = TestClusters.serve(conf, "secured-kafka-itcase");
            // The test's own client reads and writes through the plaintext listener.
            try (ChatClient chat = stack.client(false, false)) {
                chat.send("sec-1", TestCorpus.ACME, "conv-sec", "How many days do I have to request a refund?");
                ChatClient.Reply answered = chat.await("sec-1", WAIT);
                assertThat(answered.rejected()).as("rejection: %s", answered.rejection()).isFalse();
                assertThat(answered.response().path("answer").asText()).contains("thirty days");
                // The rejections' sink is a producer of its own, which connects at its first record.
                chat.send("sec-2", "no-such-tenant", "conv-sec", "Hello?");
                ChatClient.Reply refused = chat.await("sec-2", WAIT);
                assertThat(refused.rejected()).isTrue();
            } finally {
                job.cancel().get();
            }
            assertThat(kafka.saslAuthentications(true)).as("authenticated connections").isPositive();
            assertThat(kafka.saslAuthentications(false)).as("connections refused by the SASL listener").isZero();
        }
    }
}
