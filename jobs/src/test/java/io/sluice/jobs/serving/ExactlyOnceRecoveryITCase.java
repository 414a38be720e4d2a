package io.sluice.jobs.serving;

import io.sluice.jobs.config.ServingOptions;

/** Recovery with transactional responses: read_committed readers see each answer exactly once. */
class ExactlyOnceRecoveryITCase extends FailureRecoveryTestBase {

    @Override
    ServingOptions.Delivery delivery() {
        return ServingOptions.Delivery.EXACTLY_ONCE;
    }
}
