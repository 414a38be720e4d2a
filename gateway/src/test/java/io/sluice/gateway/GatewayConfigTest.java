package io.sluice.gateway;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GatewayConfigTest {

    private static Gateway.Builder builder() {
        return Gateway.Config.builder("127.0.0.1:9092", "jdbc:postgresql://127.0.0.1/sluice");
    }

    @Test
    void kafkaPropertiesAreKeptSorted() {
        Gateway.Config config = builder().kafkaProperties(Map.of("security.protocol", "SASL_SSL", "linger.ms", "1"))
                .build();
        assertThat(config.kafkaProperties()).containsExactly(Map.entry("linger.ms", "1"),
                Map.entry("security.protocol", "SASL_SSL"));
        assertThat(builder().build().kafkaProperties()).isEmpty();
        // A login's password may be among them, and a record prints its fields.
        Gateway.Config secured = builder().kafkaProperties(Map.of("sasl.jaas.config", "... password=\"s3cret\";"))
                .build();
        assertThat(secured.toString()).contains("kafkaProperties=[sasl.jaas.config] (values not shown)")
                .doesNotContain("s3cret");
    }

    @Test
    void aKafkaPropertyTheGatewayDecidesIsRefusedSayingWhy() {
        assertThatThrownBy(() -> builder().kafkaProperties(Map.of("linger.ms", "1", "acks", "1")).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("the gateway's Kafka client property acks "
                        + "cannot be set: a request is accepted only once every in-sync replica has it (acks=all)");
        assertThatThrownBy(() -> builder().kafkaProperties(Map.of("group.id", "edge")).build())
                .hasMessageContaining("group.id cannot be set");
    }

    @Test
    void limitsOnClientsMustLeaveRoomForOne() {
        assertThat(builder().build().maxWaiting()).isEqualTo(Gateway.Builder.DEFAULT_MAX_WAITING);
        assertThatThrownBy(() -> builder().maxWaiting(0).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one answer");
        assertThatThrownBy(() -> builder().maxKeyLookups(0).build()).hasMessageContaining("at least one key");
        assertThatThrownBy(() -> builder().readTimeout(Duration.ZERO).build())
                .hasMessage("the read timeout must be positive, not PT0S");
    }
}
