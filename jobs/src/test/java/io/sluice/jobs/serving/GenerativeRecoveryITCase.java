package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;
import io.sluice.model.chat.OpenAiStandInServer;

import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.AfterEach;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Recovery while a slow remote model is generating: turns in flight at the failure are asked again
 * from the restored state, their pieces may repeat (with the same numbers), and every turn still
 * sees the answers before it.
 */
class GenerativeRecoveryITCase extends FailureRecoveryTestBase {

    private OpenAiStandInServer remote;

    @Override
    ServingOptions.Delivery delivery() {
        return ServingOptions.Delivery.LOW_LATENCY;
    }

    @Override
    String answerModel() {
        return ServingJob.REMOTE_MODEL;
    }

    @Override
    void configure(Configuration conf) {
        try {
            remote = new OpenAiStandInServer();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        conf.set(ServingOptions.ANSWER_REMOTE_BASE_URL, remote.baseUrl());
        conf.set(ServingOptions.ANSWER_REMOTE_MODEL, "slow");
    }

    @AfterEach
    void stopRemote() throws IOException {
        if (remote != null) {
            remote.close();
            // Some turns were asked twice: generations cut by the failure, or answered after the
            // last checkpoint and replayed from the source.
            org.assertj.core.api.Assertions.assertThat(remote.requests.size()).isGreaterThan(16);
        }
    }
}
