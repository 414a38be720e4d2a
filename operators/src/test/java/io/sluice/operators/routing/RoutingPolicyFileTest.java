package io.sluice.operators.routing;

import io.sluice.model.chat.CircuitBreaker;
import io.sluice.model.chat.GenerationParams;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.ModelProfile;
import io.sluice.operators.answer.OnnxDecoderSpec;
import io.sluice.operators.answer.OpenAiChatModelSpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutingPolicyFileTest {

    @TempDir
    Path dir;

    private static final AnswerModels CONFIGURED = new AnswerModels(AnswerModels.EXTRACTIVE, Map.of(),
            new GenerationParams(0.2, 0.9, 128, 0, List.of()));

    private AnswerModels load(String json) throws IOException {
        Path file = dir.resolve("routing.json");
        Files.writeString(file, json);
        return RoutingPolicyFile.load(file, CONFIGURED);
    }

    @Test
    void readsProfilesAndRoutes() throws IOException {
        Files.createDirectories(dir.resolve("decoder"));
        AnswerModels models = load("""
                {"version": 3,
                 "profiles": [
                   {"name": "small", "version": 2, "backend": "onnx", "modelDir": "decoder", "contextWindow": 512,
                    "tier": "economy", "sampling": {"temperature": 0, "topP": 1, "maxTokens": 48},
                    "fallbacks": ["extractive"]},
                   {"name": "large", "version": 5, "backend": "openai", "baseUrl": "http://vllm:8000/v1",
                    "model": "llama", "contextWindow": 8192, "tier": "premium", "residency": "eu",
                    "capabilities": ["long-context"], "readTimeout": "30 s", "maxRetries": 2,
                    "breaker": {"failures": 5, "window": "30 s", "coolDown": "2 min"},
                    "fallbacks": ["small", "extractive"]}],
                 "routes": {"auto": [
                   {"rule": "gold", "tenantTiers": ["gold"], "intents": ["analysis", "code"], "profiles": ["large"]},
                   {"rule": "bulk-or-low", "priorities": ["bulk"], "maxBudgetLeftPercent": 15, "profiles": ["small"]},
                   {"rule": "default", "profiles": ["small"]}]}}
                """);
        assertThat(models.policyVersion()).isEqualTo(3);
        assertThat(models.names()).containsExactly("auto", "extractive", "large", "small");
        ModelProfile large = models.profile("large").orElseThrow();
        assertThat(large.version()).isEqualTo(5);
        assertThat(large.residency()).isEqualTo("eu");
        assertThat(large.remote()).isTrue();
        OpenAiChatModelSpec spec = (OpenAiChatModelSpec) large.spec();
        assertThat(spec.backend().readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(spec.backend().maxRetries()).isEqualTo(2);
        assertThat(spec.breaker()).isEqualTo(new CircuitBreaker.Settings(5, Duration.ofSeconds(30),
                Duration.ofMinutes(2)));
        ModelProfile small = models.profile("small").orElseThrow();
        assertThat(((OnnxDecoderSpec) small.spec()).modelDir()).isEqualTo(dir.resolve("decoder").toString());
        assertThat(small.remote()).isFalse();
        assertThat(models.params("small", "r").maxTokens()).isEqualTo(48);
        assertThat(models.params("large", "r").temperature()).as("the job's sampling").isEqualTo(0.2);
        assertThat(models.reachable("auto")).containsExactly("large", "small", "extractive");
        assertThat(models.maxTokens("auto")).isEqualTo(128);
        assertThat(models.route("auto").get(1)).isEqualTo(new io.sluice.operators.answer.RouteRule("bulk-or-low",
                List.of(), List.of(), 0, 0, List.of("small"), List.of("bulk"), 15));
    }

    @Test
    void mistakesAreRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> load("{\"version\": 0}")).hasMessageContaining("'version' must be a whole number");
        assertThatThrownBy(() -> load("{\"version\": 1, \"profile\": []}"))
                .hasMessageContaining("unknown field 'profile'");
        assertThatThrownBy(() -> load("{\"version\": 1, \"profiles\": [{\"name\": \"x\", \"backend\": \"gpt\"}]}"))
                .hasMessageContaining("profile x: 'backend' must be openai or onnx");
        assertThatThrownBy(() -> load("{\"version\": 1, \"profiles\": [{\"name\": \"x\", \"backend\": \"openai\","
                + " \"model\": \"m\"}]}")).hasMessageContaining("profile x needs 'baseUrl'");
        assertThatThrownBy(() -> load("{\"version\": 1, \"profiles\": [{\"name\": \"x\", \"backend\": \"onnx\","
                + " \"modelDir\": \"nowhere\"}]}")).hasMessageContaining("is not a directory");
        assertThatThrownBy(() -> load("{\"version\": 1, \"routes\": {\"auto\": [{\"rule\": \"r\", \"intents\": "
                + "[\"poetry\"], \"profiles\": [\"extractive\"]}]}}")).hasMessageContaining("unknown intent 'poetry'");
        assertThatThrownBy(() -> load("{\"version\": 1, \"routes\": {\"auto\": [{\"rule\": \"r\", \"profiles\": "
                + "[\"large\"]}]}}")).hasMessageContaining("names 'large', which is not a profile");
        assertThatThrownBy(() -> load("{\"version\": 1, \"routes\": {\"auto\": [{\"rule\": \"r\", \"priorities\": "
                + "[\"urgent\"], \"profiles\": [\"extractive\"]}]}}")).hasMessageContaining("route auto, rule r: "
                + "priorities must be of [interactive, bulk], not 'urgent'");
        assertThatThrownBy(() -> load("{\"version\": 1, \"routes\": {\"auto\": [{\"rule\": \"r\", "
                + "\"maxBudgetLeftPercent\": 101, \"profiles\": [\"extractive\"]}]}}"))
                .hasMessageContaining("maxBudgetLeftPercent must be a percentage");
        assertThatThrownBy(() -> load("{\"version\": 1, \"profiles\": [{\"name\": \"x\", \"backend\": \"openai\","
                + " \"baseUrl\": \"http://h\", \"model\": \"m\", \"breaker\": {\"window\": \"soon\"}}]}"))
                .hasMessageContaining("'window' must be a duration");
        assertThatThrownBy(() -> load("{\"version\": 1, \"version\": 2}")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> RoutingPolicyFile.load(dir.resolve("missing.json"), CONFIGURED))
                .hasMessageContaining("Routing policy file not found");
    }
}
