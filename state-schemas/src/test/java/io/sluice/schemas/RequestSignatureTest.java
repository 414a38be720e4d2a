package io.sluice.schemas;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestSignatureTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path work;

    @Test
    void aSignatureBindsTheReplyPartitionAndThePayload() {
        byte[] payload = "{\"tenantId\":\"acme\"}".getBytes(StandardCharsets.UTF_8);
        String signature = RequestSignature.sign(KEY, 1, payload);
        assertThat(signature).hasSize(64);
        assertThat(RequestSignature.verify(KEY, 1, payload, signature)).isTrue();
        assertThat(RequestSignature.verify(KEY, 0, payload, signature)).as("another partition").isFalse();
        assertThat(RequestSignature.verify(KEY, 1, "{\"tenantId\":\"evil\"}".getBytes(StandardCharsets.UTF_8),
                signature)).as("another payload").isFalse();
        byte[] otherKey = KEY.clone();
        otherKey[0] ^= 1;
        assertThat(RequestSignature.verify(otherKey, 1, payload, signature)).as("another key").isFalse();
        assertThat(RequestSignature.verify(KEY, 1, payload, null)).isFalse();
    }

    @Test
    void aKeyFileIsReadTrimmedAndAShortKeyIsRefusedWithHowToMakeOne() throws Exception {
        Path good = Files.writeString(work.resolve("good"), "a".repeat(RequestSignature.MIN_KEY_BYTES) + "\n");
        assertThat(RequestSignature.readKey(good.toString())).hasSize(RequestSignature.MIN_KEY_BYTES);

        Path shortKey = Files.writeString(work.resolve("short"), "a".repeat(RequestSignature.MIN_KEY_BYTES - 1) + "\n");
        assertThatThrownBy(() -> RequestSignature.readKey(shortKey.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(shortKey.toString())
                .hasMessageContaining("is 31 bytes")
                .hasMessageContaining("at least 32")
                .hasMessageContaining("openssl rand -hex 32");
    }
}
