package io.sluice.jobs.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobArgumentsTest {

    @Test
    void parsesKeyValueArgumentsInBothForms() {
        assertThat(JobArguments.parse(new String[] {
            "--sluice.index.dir", "/data/index", "--sluice.responses.delivery=EXACTLY_ONCE"}))
                .isEqualTo(Map.of("sluice.index.dir", "/data/index", "sluice.responses.delivery", "EXACTLY_ONCE"));
    }

    @Test
    void explainsMalformedArguments() {
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"sluice.index.dir"}))
                .hasMessageContaining("Expected --key value");
        assertThatThrownBy(() -> JobArguments.parse(new String[] {"--sluice.index.dir"}))
                .hasMessageContaining("Missing value for --sluice.index.dir");
    }
}
