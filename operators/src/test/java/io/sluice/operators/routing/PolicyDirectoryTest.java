package io.sluice.operators.routing;

import io.sluice.model.chat.GenerationParams;
import io.sluice.operators.answer.AnswerModels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PolicyDirectoryTest {

    @TempDir
    Path dir;

    private static final AnswerModels CONFIGURED = new AnswerModels(AnswerModels.EXTRACTIVE, Map.of(),
            new GenerationParams(0, 1, 64, 0, List.of()));

    /** A version whose route 'auto' answers with {@code profile}, in force from {@code at} (null: always). */
    private void write(String file, int version, Instant at, String profile) throws IOException {
        Files.writeString(dir.resolve(file), """
                {"version": %d, %s
                 "profiles": [{"name": "p%d", "backend": "openai", "baseUrl": "http://h:1/v1", "model": "m%d"}],
                 "routes": {"auto": [{"rule": "r%d", "profiles": ["%s"]}]}}
                """.formatted(version, at == null ? "" : "\"effectiveAt\": \"" + at + "\",", version, version, version,
                profile));
    }

    @Test
    void aTurnSeesTheNewestVersionInForceAtItsEventTime() throws IOException {
        Instant t = Instant.parse("2026-12-02T15:00:00Z");
        write("v1.json", 1, null, "p1");
        write("v2.json", 2, t, "p2");
        AnswerModels models = PolicyDirectory.load(dir, CONFIGURED, "auto", Duration.ZERO);
        assertThat(models.policyVersion()).as("the newest, for checks at the start").isEqualTo(2);
        assertThat(models.at(t.toEpochMilli() - 1).policyVersion()).isEqualTo(1);
        assertThat(models.at(t.toEpochMilli() - 1).route("auto").get(0).profiles()).containsExactly("p1");
        assertThat(models.at(t.toEpochMilli()).policyVersion()).isEqualTo(2);
        assertThat(models.at(t.toEpochMilli()).defaultModel()).isEqualTo("auto");
        assertThat(models.known()).extracting(AnswerModels::policyVersion).containsExactly(1, 2);
    }

    @Test
    void versionsWrittenWhileTheJobRunsArePickedUpAndBrokenOnesIgnored() throws IOException {
        Instant later = Instant.now().plusSeconds(3600);
        write("v1.json", 1, null, "p1");
        AnswerModels models = PolicyDirectory.load(dir, CONFIGURED, "auto", Duration.ZERO);
        write("v3.json", 3, later, "p3");
        Files.writeString(dir.resolve("v4.json"), "{\"version\": 4, \"routes\": ");  // half written
        write("v5.json", 1, later, "p5"); // a version number already taken
        assertThat(models.at(later.toEpochMilli()).policyVersion()).isEqualTo(3);
        assertThat(models.at(later.toEpochMilli() - 1).policyVersion()).isEqualTo(1);
        assertThat(models.known()).extracting(AnswerModels::policyVersion).containsExactly(1, 3);
        write("v4.json", 4, later.plusSeconds(1), "p4"); // finished: read again
        assertThat(models.at(later.toEpochMilli() + 1000).policyVersion()).isEqualTo(4);
    }

    @Test
    void atTheStartEveryVersionMustLoad() throws IOException {
        assertThatThrownBy(() -> PolicyDirectory.load(dir, CONFIGURED, "extractive", Duration.ZERO))
                .hasMessageContaining("holds no version");
        write("v1.json", 1, null, "p1");
        write("v2.json", 1, null, "p1");
        assertThatThrownBy(() -> PolicyDirectory.load(dir, CONFIGURED, "auto", Duration.ZERO))
                .hasMessageContaining("version 1 is already loaded from another file");
        Files.delete(dir.resolve("v2.json"));
        assertThatThrownBy(() -> PolicyDirectory.load(dir, CONFIGURED, "gpt-9", Duration.ZERO))
                .hasMessageContaining("default answer model 'gpt-9'");
    }

    @Test
    void replaySeesTheSameVersionsWithItsOwnModels() throws IOException {
        write("v1.json", 1, null, "p1");
        write("v2.json", 2, Instant.parse("2026-12-02T15:00:00Z"), "p2");
        AnswerModels models = PolicyDirectory.load(dir, CONFIGURED, "auto", Duration.ZERO);
        AnswerModels journaled = models.withSpecs(spec -> new io.sluice.operators.answer.UnopenedSpec("journal", true));
        assertThat(journaled.known()).hasSize(2).allSatisfy(m -> m.generativeModels().values()
                .forEach(spec -> assertThat(spec.sharingKey()).isEqualTo("journal")));
        assertThat(journaled.at(0).policyVersion()).isEqualTo(1);
    }
}
