/**
 * The fuzz gauntlet: a seeded generator of valid and adversarial {@code chat.requests} records
 * ({@link io.sluice.local.fuzz.FuzzRequests}), a run that sends them to a serving job and collects
 * every outcome ({@link io.sluice.local.fuzz.FuzzRun}), and the checks of what the product promises
 * about them ({@link io.sluice.local.fuzz.FuzzReport}). Used by {@code ServingFuzzITCase} and
 * {@code sluice bench fuzz}.
 */
package io.sluice.local.fuzz;
