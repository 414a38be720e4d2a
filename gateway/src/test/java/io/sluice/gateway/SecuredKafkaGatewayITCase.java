package io.sluice.gateway;

import io.sluice.jobs.testing.TestClusters;
import io.sluice.jobs.testing.TestCorpus;
import io.sluice.local.EmbeddedKafka;
import io.sluice.local.LocalStack;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway in front of a broker that authenticates its clients (SASL/PLAIN), given only the
 * listener's address and the login as its Kafka client properties; the serving job behind it uses
 * the broker's plaintext listener. A client of the gateway's that did not get the properties would
 * speak plaintext to the SASL listener and be refused, so the broker's own count of refusals says
 * whether both got them: the producer of requests and the consumer of the reply partition.
 */
class SecuredKafkaGatewayITCase {

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setConfiguration(TestClusters.rocksDb()).build());

    private static final EmbeddedKafka.PlainLogin LOGIN =
            new EmbeddedKafka.PlainLogin("sluice-gateway", "s3cret-for-tests");
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path work;

    @Test
    void theGatewaysProducerAndConsumerAuthenticateWithItsKafkaProperties() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startWithSaslPlain(work.resolve("kafka"), LOGIN);
                ServingBehindGateway serving = ServingBehindGateway.start(work, 1,
                        new LocalStack.External(kafka.bootstrapServers(), null, null, null))) {
            String key = serving.createKey(TestCorpus.ACME, "secured");
            Map<String, String> properties = Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "PLAIN",
                    "sasl.jaas.config", LOGIN.jaasConfig());
            try (Gateway gateway = Gateway.start(serving.gateway(0, kafka.saslBootstrapServers()).answerTimeout(WAIT)
                    .kafkaProperties(properties).build())) {
                HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + key).header(Gateway.CONVERSATION_HEADER, "sec-conv-1")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"extractive\",\"messages\":[{\"role\":"
                                + "\"user\",\"content\":\"How many days do I have to request a refund?\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(response.body()).contains("thirty days");
            }
            assertThat(kafka.saslAuthentications(true)).as("connections the SASL listener authenticated")
                    .isGreaterThanOrEqualTo(2);
            assertThat(kafka.saslAuthentications(false)).as("connections the SASL listener refused").isZero();
        }
    }
}
