package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;

/** Recovery with at-least-once, low-latency responses: repeats allowed, identical in content. */
class LowLatencyRecoveryITCase extends FailureRecoveryTestBase {

    @Override
    ServingOptions.Delivery delivery() {
        return ServingOptions.Delivery.LOW_LATENCY;
    }
}
