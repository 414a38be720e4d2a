package io.sluice.operators.validate;

import io.sluice.model.chat.GenerationParams;
import io.sluice.model.chat.OpenAiBackendConfig;
import io.sluice.operators.answer.AnswerModels;
import io.sluice.operators.answer.OpenAiChatModelSpec;
import io.sluice.schemas.RejectReason;
import io.sluice.schemas.RequestEnvelope;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class RequestValidatorTest {

    private static final AnswerModels MODELS = new AnswerModels(AnswerModels.EXTRACTIVE,
            java.util.Map.of("remote", new OpenAiChatModelSpec(OpenAiBackendConfig.of("http://localhost:1/v1", "m", null)),
                    "local-gen", new OpenAiChatModelSpec(OpenAiBackendConfig.of("http://localhost:2/v1", "m", null))),
            GenerationParams.greedy(64, 0));

    private final RequestValidator validator = new RequestValidator(new TenantRegistry(java.util.List.of(
            new Tenant("acme", 20, 5, 10, 1024, 2048),
            new Tenant("genco", 20, 5, 10, 1024, 2048, "remote"))), MODELS);

    private ValidationResult validate(String payload) {
        return validator.validate(new RequestEnvelope(2, 42L, 1000L, "c1", payload));
    }

    @Test
    void acceptsAValidRequestWithTenantDefaults() {
        var result = validate("{\"requestId\":\"r1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\" hi \"}");
        assertThat(result).isInstanceOf(ValidationResult.Valid.class);
        var req = ((ValidationResult.Valid) result).request();
        assertThat(req.message()).isEqualTo("hi");
        assertThat(req.topK()).isEqualTo(5);
        assertThat(req.contextTokens()).isEqualTo(1024);
        assertThat(req.eventTime()).isEqualTo(1000L);
        assertThat(req.partition()).isEqualTo(2);
        assertThat(req.offset()).isEqualTo(42L);
    }

    @Test
    void answerModelComesFromTheRequestThenTheTenantThenTheJob() {
        String base = "{\"requestId\":\"r1\",\"conversationId\":\"c1\",\"message\":\"hi\"";
        assertThat(model(base + ",\"tenantId\":\"acme\"}")).isEqualTo(AnswerModels.EXTRACTIVE);
        assertThat(model(base + ",\"tenantId\":\"genco\"}")).isEqualTo("remote");
        assertThat(model(base + ",\"tenantId\":\"genco\",\"answerModel\":\"local-gen\"}")).isEqualTo("local-gen");
        var rejected = (ValidationResult.Rejected) validate(base + ",\"tenantId\":\"acme\",\"answerModel\":\"gpt-9\"}");
        assertThat(rejected.rejection().reason()).isEqualTo(RejectReason.INVALID_FIELD);
        assertThat(rejected.rejection().detail()).contains("[extractive, local-gen, remote]");
    }

    private String model(String payload) {
        return ((ValidationResult.Valid) validate(payload)).request().answerModel();
    }

    @Test
    void takesBoundedParameters() {
        var result = validate("{\"requestId\":\"r1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"hi\","
                + "\"parameters\":{\"topK\":7,\"contextTokens\":512}}");
        var req = ((ValidationResult.Valid) result).request();
        assertThat(req.topK()).isEqualTo(7);
        assertThat(req.contextTokens()).isEqualTo(512);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "not json | MALFORMED_JSON",
        "[1,2] | MALFORMED_JSON",
        "{\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"hi\"} | MISSING_FIELD",
        "{\"requestId\":\"r1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"  \"} | MISSING_FIELD",
        "{\"requestId\":7,\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"hi\"} | INVALID_FIELD",
        "{\"requestId\":\"r 1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"hi\"} | INVALID_FIELD",
        "{\"requestId\":\"r1\",\"tenantId\":\"evil\",\"conversationId\":\"c1\",\"message\":\"hi\"} | UNKNOWN_TENANT",
        "{\"requestId\":\"r1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"this message is far too long\"} | FIELD_TOO_LONG",
        "{\"requestId\":\"r1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"hi\",\"parameters\":{\"topK\":11}} | INVALID_FIELD",
        "{\"requestId\":\"r1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"hi\",\"parameters\":{\"topK\":2.5}} | INVALID_FIELD",
        "{\"requestId\":\"r1\",\"tenantId\":\"acme\",\"conversationId\":\"c1\",\"message\":\"hi\",\"parameters\":[]} | INVALID_FIELD",
    })
    void rejectsWithAReasonAndKeepsThePayload(String payload, RejectReason reason) {
        var result = validate(payload);
        assertThat(result).isInstanceOf(ValidationResult.Rejected.class);
        var rejection = ((ValidationResult.Rejected) result).rejection();
        assertThat(rejection.reason()).isEqualTo(reason);
        assertThat(rejection.detail()).isNotBlank();
        assertThat(rejection.payload()).isEqualTo(payload);
        assertThat(rejection.offset()).isEqualTo(42L);
    }

    @Test
    void rejectionCarriesTheIdsItCouldRead() {
        var result = (ValidationResult.Rejected) validate(
                "{\"requestId\":\"r9\",\"tenantId\":\"nobody\",\"conversationId\":\"c1\",\"message\":\"hi\"}");
        assertThat(result.rejection().requestId()).isEqualTo("r9");
        assertThat(result.rejection().tenantId()).isEqualTo("nobody");
    }

    @Test
    void nullPayloadIsMalformed() {
        var result = (ValidationResult.Rejected) validate(null);
        assertThat(result.rejection().reason()).isEqualTo(RejectReason.MALFORMED_JSON);
    }
}
