package io.sluice.jobs.config;

import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaClientPropertiesTest {

    @Test
    void readsThePropertiesUnderThePrefixByKafkasNames() {
        Configuration conf = new Configuration();
        conf.setString("sluice.kafka.properties.security.protocol", "SASL_SSL");
        conf.setString("sluice.kafka.properties.linger.ms", "5");
        conf.setString("sluice.kafka.bootstrap-servers", "kafka:9093");
        conf.setString("sluice.kafka.group-id", "g");
        assertThat(KafkaClientProperties.from(conf))
                .isEqualTo(Map.of("security.protocol", "SASL_SSL", "linger.ms", "5"));
        assertThat(KafkaClientProperties.from(new Configuration())).isEmpty();
    }

    @Test
    void refusesWhatTheJobDecidesNamingWhatToSetInstead() {
        Configuration conf = new Configuration();
        conf.setString("sluice.kafka.properties.group.id", "other");
        assertThatThrownBy(() -> KafkaClientProperties.from(conf)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("sluice.kafka.properties.group.id cannot be set: set sluice.kafka.group-id instead");

        Configuration isolation = new Configuration();
        isolation.setString("sluice.kafka.properties.isolation.level", "read_uncommitted");
        assertThatThrownBy(() -> KafkaClientProperties.from(isolation))
                .hasMessageStartingWith("sluice.kafka.properties.isolation.level cannot be set: ");

        Configuration commits = new Configuration();
        commits.setString("sluice.kafka.properties.commit.offsets.on.checkpoint", "true");
        assertThatThrownBy(() -> KafkaClientProperties.from(commits))
                .hasMessageContaining("must not move a consumer group's offsets");
    }

    @Test
    void aSecretMustComeThroughAConfigProvider() {
        Configuration inline = new Configuration();
        inline.setString("sluice.kafka.properties.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\";");
        assertThatThrownBy(() -> KafkaClientProperties.from(inline))
                .hasMessageStartingWith("sluice.kafka.properties.sasl.jaas.config holds a secret")
                .hasMessageContaining("sluice.kafka.properties.sasl.jaas.config=${file:/path/to/kafka.properties:"
                        + "sasl.jaas.config}")
                .hasMessageNotContaining("password=");
        Configuration keystore = new Configuration();
        keystore.setString("sluice.kafka.properties.ssl.keystore.password", "changeit");
        assertThatThrownBy(() -> KafkaClientProperties.from(keystore)).hasMessageContaining("holds a secret");

        Configuration provided = new Configuration();
        provided.setString("sluice.kafka.properties.config.providers", "file");
        provided.setString("sluice.kafka.properties.ssl.keystore.password", "${file:/etc/sluice/kafka.properties:ks}");
        assertThat(KafkaClientProperties.from(provided))
                .containsEntry("ssl.keystore.password", "${file:/etc/sluice/kafka.properties:ks}");
    }

    @Test
    void refusesAKeyThatNamesNoProperty() {
        Configuration conf = new Configuration();
        conf.setString("sluice.kafka.properties.", "x");
        assertThatThrownBy(() -> KafkaClientProperties.from(conf))
                .hasMessage("sluice.kafka.properties. names no Kafka property: write sluice.kafka.properties.<name>");
    }
}
