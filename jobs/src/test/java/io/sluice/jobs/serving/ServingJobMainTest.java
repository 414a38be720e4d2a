package io.sluice.jobs.serving;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServingJobMainTest {

    @Test
    void parsesKeyValueArgumentsInBothForms() {
        assertThat(ServingJobMain.parseArgs(new String[] {
            "--sluice.index.dir", "/data/index", "--sluice.responses.delivery=EXACTLY_ONCE"}))
                .isEqualTo(Map.of("sluice.index.dir", "/data/index", "sluice.responses.delivery", "EXACTLY_ONCE"));
    }

    @Test
    void explainsMalformedArguments() {
        assertThatThrownBy(() -> ServingJobMain.parseArgs(new String[] {"sluice.index.dir"}))
                .hasMessageContaining("Expected --key value");
        assertThatThrownBy(() -> ServingJobMain.parseArgs(new String[] {"--sluice.index.dir"}))
                .hasMessageContaining("Missing value for --sluice.index.dir");
    }
}
