package io.sluice.operators.flink;

import io.sluice.schemas.Rejection;

import org.apache.flink.util.OutputTag;

/**
 * The side output of every request-path stage: requests it refused or failed on. The serving job
 * unions each stage's side output into {@code chat.rejected}, so a request that leaves the main
 * path always leaves a record.
 */
public final class Rejections {

    public static final OutputTag<Rejection> TAG = new OutputTag<>("rejected", Rejection.TYPE);

    private Rejections() {}
}
