package io.sluice.gateway;

import io.sluice.operators.guard.PiiDetector;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ApiKeysTest {

    /**
     * The job checks every id of a request for personal data, the key's id too: ids drawn as they
     * were before (12 random hex digits) read as a phone number about once in 7,400, and then every
     * request with that key was refused. 200,000 draws met that some 27 times.
     */
    @Test
    void noKeyIdLooksLikePersonalData() {
        long seed = System.nanoTime();
        System.out.println("ApiKeysTest seed " + seed);
        Random random = new Random(seed);
        PiiDetector detector = new PiiDetector();
        for (int i = 0; i < 200_000; i++) {
            String id = ApiKeys.newKeyId(random);
            assertThat(id).as("seed %d", seed).matches("[a-f][0-9a-f]{11}");
            assertThat(detector.find(id)).as("key id %s (seed %d)", id, seed).isEmpty();
            String key = "sk-sluice-" + id + "-" + "0".repeat(40);
            assertThat(ApiKeys.keyIdOf(key)).isEqualTo(id);
        }
    }
}
