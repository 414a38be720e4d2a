/**
 * Guards over text that enters or leaves the dataflow: detectors of structured personal data and
 * secrets ({@link io.sluice.operators.guard.PiiDetector}) and their redaction into typed
 * placeholders. Plain Java, no Flink; deterministic (no clock, no randomness), so replay redacts
 * exactly as the live run did.
 */
package io.sluice.operators.guard;
