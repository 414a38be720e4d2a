package io.sluice.operators.flink;

import io.sluice.operators.answer.AnswerModels;
import io.sluice.schemas.Bounds;
import io.sluice.schemas.tenants.Tenant;
import io.sluice.schemas.tenants.TenantRegistry;

import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A signing key that cannot work stops the job, saying why. */
class ValidateFunctionTest {

    @TempDir
    Path work;

    private static ValidateFunction validate(ValidateFunction.Signing signing) {
        return new ValidateFunction(new TenantRegistry(List.of(Tenant.withDefaults("acme"))),
                AnswerModels.extractiveOnly(), Bounds.MAX_RECORD_BYTES, signing);
    }

    @Test
    void aShortKeyIsAConfigurationErrorThatNoRestartMends() throws Exception {
        Path key = Files.writeString(work.resolve("signing-key"), "too short");
        assertThatThrownBy(() -> ProcessFunctionTestHarnesses.forProcessFunction(
                validate(new ValidateFunction.Signing(key.toString(), false))))
                .isInstanceOf(SuppressRestartsException.class)
                .rootCause().hasMessageContaining("is 9 bytes").hasMessageContaining("at least 32");
    }

    /** A key file that is not there (yet: a secret volume mounts late) fails the task, naming the file. */
    @Test
    void aMissingKeyFileIsNamed() {
        Path missing = work.resolve("no-such-key");
        assertThatThrownBy(() -> ProcessFunctionTestHarnesses.forProcessFunction(
                validate(new ValidateFunction.Signing(missing.toString(), true))))
                .rootCause().hasMessageContaining(missing.toString());
    }
}
