package io.sluice.model;

/**
 * Puts DJL into offline mode before any DJL class loads: without it DJL tries to reach a cloud
 * metadata address and model hubs at start-up, which Sluice must never do.
 */
public final class DjlSetup {

    private DjlSetup() {}

    public static void offline() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // Read by DJL's usage tracking; the environment variable works too.
        if (System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }
}
