package io.sluice.schemas;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaPropertiesTest {

    @TempDir
    Path dir;

    @Test
    void readsAPropertiesFileAsKafkasToolsWriteIt() throws Exception {
        Path file = Files.writeString(dir.resolve("client.properties"), """
                # a comment, and a blank line

                security.protocol=SASL_SSL
                sasl.mechanism: SCRAM-SHA-512
                sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\
                    username="gateway" password="pässwörd";
                """, StandardCharsets.UTF_8);

        assertThat(KafkaProperties.read(file)).containsExactly(
                Map.entry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"gateway\" password=\"pässwörd\";"),
                Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                Map.entry("security.protocol", "SASL_SSL"));
    }

    @Test
    void theirTextNamesThePropertiesWithoutTheirValues() {
        Map<String, String> properties = KafkaProperties.withoutOwned(Map.of("sasl.jaas.config",
                "... password=\"s3cret\";", "security.protocol", "SASL_SSL"), Map.of(), "");
        assertThat(properties.toString()).isEqualTo("[sasl.jaas.config, security.protocol] (values not shown)");
        assertThat(properties).isEqualTo(Map.of("sasl.jaas.config", "... password=\"s3cret\";",
                "security.protocol", "SASL_SSL"));
    }

    @Test
    void aMissingFileOrAnEmptyValueIsRefusedByName() throws Exception {
        Path missing = dir.resolve("missing.properties");
        assertThatThrownBy(() -> KafkaProperties.read(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Cannot read Kafka client properties from " + missing);
        Path empty = Files.writeString(dir.resolve("empty-value.properties"), "linger.ms=5\nsasl.mechanism=\n");
        assertThatThrownBy(() -> KafkaProperties.read(empty)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("The Kafka client property sasl.mechanism in " + empty + " has no value");
    }

    @Test
    void anOwnedPropertyIsRefusedWithWhatToDoInstead() {
        Map<String, String> owned = Map.of("acks", "a request is accepted only once every replica has it");

        assertThat(KafkaProperties.withoutOwned(Map.of("linger.ms", "5", "client.id", "edge-1"), owned, "--x: "))
                .containsExactly(Map.entry("client.id", "edge-1"), Map.entry("linger.ms", "5"));
        assertThatThrownBy(() -> KafkaProperties.withoutOwned(Map.of("linger.ms", "5", "acks", "1"), owned, "--x: "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--x: acks cannot be set: a request is accepted only once every replica has it");
    }
}
